// Hearing from switchboard: a webhook receiver that verifies each delivery's Standard
// Webhooks signature, and the event stream, which resumes by itself after a dropped
// connection. It sends a message to the team's integration and prints its `delivery.sent`
// as both saw it.
//
//   cd sdk/typescript && npm run example && npm run example:events
//
// After the quickstart (which installs the app for the team), with its settings
// (SWITCHBOARD_ADDR, SWITCHBOARD_API_KEY, SWITCHBOARD_TEAM_ID) and SWITCHBOARD_WEBHOOK_HOST,
// the address the service reaches this receiver at (default 127.0.0.1, which the service
// accepts with SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true).
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toJsonString } from "@bufbuild/protobuf";
import {
  allIntegrations,
  createSwitchboardClient,
  type Event,
  EventSchema,
  EventStream,
  WebhookVerificationError,
  WebhookVerifier,
} from "@switchboard/sdk";

const env = process.env;
const teamId = env.SWITCHBOARD_TEAM_ID ?? "example-team";
const host = env.SWITCHBOARD_WEBHOOK_HOST ?? "127.0.0.1";
const client = createSwitchboardClient({
  address: env.SWITCHBOARD_ADDR ?? "localhost:50051",
  credential: env.SWITCHBOARD_API_KEY ?? readFileSync(new URL("../../../../.local/dev-api-key", import.meta.url), "utf8").trim(),
  tls: false,
});

// 1. A webhook receiver, subscribed to the team's delivery events. It listens first (its URL
// is part of the subscription); the signing secret is answered once, by the subscription.
let verifier: WebhookVerifier | undefined;
const webhooks: Event[] = [];
const server = createServer(async (request, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    if (!verifier) throw new WebhookVerificationError("no subscription yet");
    webhooks.push(verifier.verify(Buffer.concat(chunks), request.headers as Record<string, string>));
    response.writeHead(204).end();
  } catch (e) {
    if (!(e instanceof WebhookVerificationError)) throw e;
    response.writeHead(400).end(); // not from switchboard: ignore it
  }
});
server.listen(0, host);
await once(server, "listening");
const subscription = await client.events.createWebhookSubscription({
  subscription: {
    teamId,
    url: `http://${host}:${(server.address() as AddressInfo).port}/webhooks`,
    eventTypes: ["delivery.sent"],
  },
});
verifier = new WebhookVerifier(subscription.signingSecret);
console.log(`webhook subscription ${subscription.id} -> ${subscription.url}`);

// 2. The team's delivery events, from the start of the log.
const stopped = new AbortController();
const stream = new EventStream(client.events, { teamId, types: ["delivery.sent"], signal: stopped.signal });

try {
  // 3. Something to hear about: a message to the team's integration.
  let integrationId: string | undefined;
  for await (const integration of allIntegrations(client.integrations, { teamId })) integrationId = integration.id;
  if (!integrationId) throw new Error(`team ${teamId} has no integration: run the quickstart first`);
  const sent = await client.messaging.sendMessage({
    integrationId,
    message: { text: "Hello from the events example" },
    waitForDelivery: true,
  });
  const isOurs = (e: Event) =>
    e.payload.case === "deliverySent" && e.payload.value.internalMessageId === sent.internalMessageId;

  // 4. Both see its delivery.sent (the stream replays older ones first).
  for await (const event of stream) {
    if (isOurs(event)) {
      console.log(`stream: ${toJsonString(EventSchema, event)}`);
      break;
    }
  }
  const deadline = Date.now() + 60_000;
  while (!webhooks.some(isOurs)) {
    if (Date.now() > deadline) throw new Error("no webhook within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  console.log(`webhook: ${toJsonString(EventSchema, webhooks.find(isOurs)!)}`);
  console.log(`resume the stream later from cursor ${JSON.stringify(stream.cursor)}`);
} finally {
  stopped.abort();
  server.close();
  await client.events.deleteWebhookSubscription({ subscriptionId: subscription.id });
}
