import { fromJson } from "@bufbuild/protobuf";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { type Event, EventSchema } from "./gen/switchboard/v1/event_service_pb.js";

export { WebhookVerificationError };

/**
 * Verifies the webhook deliveries of one subscription with the Standard Webhooks library
 * (npm standardwebhooks): `webhook-id`, `webhook-timestamp` (within 5 minutes of now) and
 * `webhook-signature` (HMAC-SHA256 with the `whsec_` secret CreateWebhookSubscription or
 * RotateWebhookSecret answered).
 */
export class WebhookVerifier {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    this.webhook = new Webhook(secret);
  }

  /**
   * The event a delivery carries, from its raw body (as received: not re-serialized) and
   * headers. Throws WebhookVerificationError when it is not genuine: answer 400. The
   * event's `id` is the `webhook-id`: a redelivery has the same one.
   */
  verify(body: string | Buffer, headers: Record<string, string | string[] | undefined>): Event {
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(" ") : value;
    }
    const json = this.webhook.verify(body, flat);
    // Fields a newer service may add are skipped.
    return fromJson(EventSchema, json as never, { ignoreUnknownFields: true });
  }
}
