import assert from "node:assert/strict";
import { test } from "node:test";
import { allChannels, allDeliveries, allIntegrations } from "@switchboard/sdk";
import { connect, install, newTeam, newWorkspace, readyToSend, recorded } from "./harness.js";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

test("allIntegrations: every integration once, in order, a page at a time and lazily", async () => {
  const { client, attempts } = recorded();
  const teamId = newTeam();
  const installed = [];
  for (let i = 0; i < 3; i++) installed.push(await install(client, teamId, await newWorkspace()));
  const { integrations: onePage } = await client.integrations.listIntegrations({ teamId });
  assert.equal(onePage.length, 3);

  const pages = () => attempts.filter((a) => a.method === "ListIntegrations").length;
  const before = pages();
  const iterator = allIntegrations(client.integrations, { teamId, pageSize: 1 });
  assert.equal((await iterator.next()).value?.id, onePage[0].id);
  assert.equal(pages() - before, 1, "the second page is not fetched before it is needed");

  const all = await collect(allIntegrations(client.integrations, { teamId, pageSize: 2 }));
  assert.deepEqual(all.map((i) => i.id), onePage.map((i) => i.id));
  assert.deepEqual(new Set(all.map((i) => i.id)), new Set(installed.map((i) => i.id)));
});

test("allChannels: every channel once, sorted by name, over pages of 2", async () => {
  const names = ["ops", "alerts", "builds", "deploys", "general"];
  const client = connect();
  const integration = await install(client, newTeam(), await newWorkspace(names));
  const all = await collect(allChannels(client.channels, { integrationId: integration.id, pageSize: 2 }));
  assert.deepEqual(all.map((c) => c.name), [...names].sort());
});

test("allDeliveries: every delivery once, in order, over pages of 2", async () => {
  const client = connect();
  const integration = await readyToSend(client);
  const sent = [];
  for (let i = 0; i < 3; i++) {
    sent.push(await client.messaging.sendMessage({ integrationId: integration.id, message: { text: `paged ${i}` } }));
  }
  const { deliveries: onePage } = await client.messaging.listDeliveries({ integrationId: integration.id });
  const all = await collect(allDeliveries(client.messaging, { integrationId: integration.id, pageSize: 2 }));
  assert.deepEqual(all.map((d) => d.id), onePage.map((d) => d.id));
  assert.deepEqual(new Set(all.map((d) => d.id)), new Set(sent.map((d) => d.id)));
});
