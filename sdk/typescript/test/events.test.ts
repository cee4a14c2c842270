// The event stream helper against the live service.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Code,
  type Event,
  eventCursorExpired,
  EventStream,
  SwitchboardError,
} from "@switchboard/sdk";
import { connect, control, env, install, newTeam, newWorkspace, teamToken } from "./harness.js";

test("a stream resumed after a restart misses nothing and repeats nothing", async () => {
  const client = connect();
  const team = newTeam();
  const integration = await install(client, team, await newWorkspace(["deploys"]));
  const stopped = new AbortController();
  const stream = new EventStream(client.events, { teamId: team, initialBackoffMs: 50, maxBackoffMs: 1000, signal: stopped.signal });
  const events = stream[Symbol.asyncIterator]();
  const next = async (): Promise<Event> => {
    const { value, done } = await events.next();
    assert.ok(!done, "the event stream ended");
    return value;
  };
  const first = await next();
  assert.deepEqual([first.type, first.integrationId], ["integration.created", integration.id]);

  // The connection drops (SIGKILL); events are written while the stream reconnects.
  await control(`${env.harnessUrl}/restart`, {});
  const { channels } = await client.channels.listChannels({ integrationId: integration.id });
  await client.channels.setNotificationChannel({ integrationId: integration.id, channelId: channels[0].id });
  const sent = await client.messaging.sendMessage({
    integrationId: integration.id,
    message: { text: "after the restart" },
    waitForDelivery: true,
  });
  const streamed = [first];
  const isOurs = (e: Event) => e.payload.case === "deliverySent" && e.payload.value.internalMessageId === sent.internalMessageId;
  while (!isOurs(streamed[streamed.length - 1])) streamed.push(await next());
  stopped.abort();

  const logged = await client.events.listEvents({ teamId: team, pageSize: 100 });
  assert.deepEqual(logged.events, streamed);
  assert.equal(stream.cursor, streamed[streamed.length - 1].cursor);
});

for (const [name, credential, request, codes] of [
  ["another team's events", teamToken(newTeam()), { teamId: newTeam() }, [Code.PermissionDenied]],
  ["a cursor that is not one", env.apiKey, { after: "not-a-cursor" }, [Code.InvalidArgument, Code.OutOfRange]],
] as const) {
  test(`the stream ends on ${name}`, async () => {
    const stream = new EventStream(connect({ credential }).events, request);

    const error = await (async () => {
      try {
        for await (const _ of stream) assert.fail("want no event");
      } catch (e) {
        return e;
      }
      assert.fail("the stream ended without an error");
    })();

    assert.ok(error instanceof SwitchboardError);
    assert.ok((codes as readonly Code[]).includes(error.code), `got ${Code[error.code]}`);
    if (error.code === Code.OutOfRange) assert.equal(error.reason, eventCursorExpired);
  });
}
