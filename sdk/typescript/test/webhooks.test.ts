// The webhook verifier against deliveries signed by the Standard Webhooks library's own
// signer: a genuine one gives its Event; a tampered body, another secret or a stale
// timestamp is refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { Webhook } from "standardwebhooks";
import { WebhookVerificationError, WebhookVerifier } from "@switchboard/sdk";

const body = JSON.stringify({
  id: "evt_1",
  teamId: "team-1",
  type: "delivery.sent",
  cursor: "c1",
  deliverySent: { deliveryId: "d1", internalMessageId: "m1", slackTs: "1700000000.000100" },
});
const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;
const secret = newSecret();

function signed(key: string, payload: string, ageMs = 0): Record<string, string> {
  const at = new Date(Date.now() - ageMs);
  return {
    "webhook-id": "evt_1",
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(key).sign("evt_1", at, payload),
  };
}

test("a signed delivery gives its event", () => {
  const event = new WebhookVerifier(secret).verify(body, signed(secret, body));

  assert.equal(event.id, "evt_1");
  assert.equal(event.type, "delivery.sent");
  assert.equal(event.payload.case, "deliverySent");
  assert.equal(event.payload.value.slackTs, "1700000000.000100");
});

for (const [name, payload, headers, message] of [
  ["a tampered body", '{"id":"evt_1"}', signed(secret, body), /No matching signature/],
  ["a wrong secret", body, signed(newSecret(), body), /No matching signature/],
  ["a stale timestamp", body, signed(secret, body, 6 * 60_000), /too old/],
  ["no signature", body, {}, /Missing required headers/],
] as const) {
  test(`a delivery with ${name} is refused`, () => {
    const verifier = new WebhookVerifier(secret);

    assert.throws(
      () => verifier.verify(payload, headers),
      (e) => e instanceof WebhookVerificationError && message.test(e.message),
    );
  });
}
