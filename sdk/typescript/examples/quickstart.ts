// The switchboard quick start: install Slack for a team (against slack-sim), handle a
// duplicate install by reconnecting, pick #alerts, send a deployment notice and a threaded
// reply, and print the deliveries and the dashboard.
//
//   cd sdk/typescript && npm ci && npm run example
//
// Against `make run` by default (localhost:50051, the key in .local/dev-api-key, and the
// slack-sim its authorize URLs point to); SWITCHBOARD_ADDR, SWITCHBOARD_API_KEY and
// SLACK_SIM_WORKSPACE_ID override those (scripts/sdk_harness.py sets them).
import { readFileSync } from "node:fs";
import { toJsonString } from "@bufbuild/protobuf";
import {
  allChannels,
  createSwitchboardClient,
  type Delivery,
  DeliverySchema,
  DeliveryState,
  GetDashboardStatsResponseSchema,
  type Integration,
  SwitchboardError,
} from "@switchboard/sdk";

const env = process.env;
const teamId = env.SWITCHBOARD_TEAM_ID ?? "example-team";
// From the compiled example (sdk/typescript/build/examples/) up to the repository root.
const devKeyFile = new URL("../../../../.local/dev-api-key", import.meta.url);

const client = createSwitchboardClient({
  address: env.SWITCHBOARD_ADDR ?? "localhost:50051",
  credential: env.SWITCHBOARD_API_KEY ?? readFileSync(devKeyFile, "utf8").trim(),
  tls: false,
});

// OAuth v2: a person would open authorize_url in a browser; slack-sim approves at once and
// redirects with the code, which CompleteSlackOAuth exchanges for the integration.
async function install(): Promise<Integration> {
  const { authorizeUrl, state } = await client.integrations.startSlackOAuth({ teamId });
  const url = new URL(authorizeUrl);
  if (env.SLACK_SIM_WORKSPACE_ID) url.searchParams.set("team", env.SLACK_SIM_WORKSPACE_ID);
  const redirect = await fetch(url, { redirect: "manual" });
  const code = new URL(redirect.headers.get("location") ?? "").searchParams.get("code") ?? "";
  return client.integrations.completeSlackOAuth({ code, state });
}

// A workspace the team has already installed answers ALREADY_EXISTS with ReconnectDetails:
// its token applies this install's fresh Slack tokens to the existing integration.
async function installOrReconnect(): Promise<Integration> {
  try {
    const integration = await install();
    console.log(`installed ${integration.name} (${integration.id})`);
    return integration;
  } catch (e) {
    const { reconnect } = SwitchboardError.from(e);
    if (!reconnect?.existingIntegration) throw e;
    const integration = await client.integrations.reconnectIntegration({
      integrationId: reconnect.existingIntegration.id,
      reconnectToken: reconnect.reconnectToken,
    });
    console.log(`already installed: reconnected ${integration.id} (reconnect #${integration.reconnectCount})`);
    return integration;
  }
}

function show(what: string, delivery: Delivery) {
  console.log(`${what}: ${toJsonString(DeliverySchema, delivery)}`);
  if (delivery.state !== DeliveryState.SENT) throw new Error(`${what} was not sent`);
}

await installOrReconnect();
// The same workspace again: always a duplicate now.
const integration = await installOrReconnect();

let alerts;
for await (const channel of allChannels(client.channels, { integrationId: integration.id })) {
  if (channel.name === "alerts") alerts = channel;
}
if (!alerts) throw new Error("the workspace has no #alerts channel");
await client.channels.setNotificationChannel({ integrationId: integration.id, channelId: alerts.id });
console.log(`notification channel: #${alerts.name} (${alerts.id})`);

// wait_for_delivery: the answer comes once Slack has the message. No internal_message_id:
// the SDK generates one, which the reply then names as its parent.
const post = await client.messaging.sendMessage({
  integrationId: integration.id,
  message: {
    template: { name: "deployment", variables: { project: "api", environment: "prod", version: "1.4.2" } },
  },
  messageType: "deployment",
  waitForDelivery: true,
});
show("post", post);
const reply = await client.messaging.replyToMessage({
  integrationId: integration.id,
  parentInternalMessageId: post.internalMessageId,
  message: { text: "Smoke tests passed" },
  waitForDelivery: true,
});
show("reply", reply);

const stats = await client.monitoring.getDashboardStats({ teamId });
console.log(`dashboard: ${toJsonString(GetDashboardStatsResponseSchema, stats)}`);
