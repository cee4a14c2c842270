// EventStream against an in-process EventService (Connect's Node adapter over HTTP/2, which
// speaks gRPC) that drops the stream: what the helper itself does (resume from the last
// cursor, stop on what a retry cannot cure), checked without the real service, so it runs
// before the service side of EventService exists.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { test, type TestContext } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Code, createSwitchboardClient, EventSchema, EventService, EventStream, SwitchboardError } from "@switchboard/sdk";

/** A log of `size` events (cursor = position); each call ends with UNAVAILABLE after
 * `dropAfter` events, or at once with `refuse`. `afters` records every call's `after`. */
async function flakyLog(t: TestContext, { size = 0, dropAfter = Infinity, refuse = undefined as Code | undefined }) {
  const afters: string[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(EventService, {
      async *streamEvents(request, context) {
        afters.push(request.after);
        if (refuse !== undefined) throw new ConnectError("refused", refuse);
        const start = request.after ? Number(request.after) + 1 : 0;
        for (let position = start, sent = 0; position < size; position++, sent++) {
          if (sent === dropAfter) throw new ConnectError("dropped", Code.Unavailable);
          yield create(EventSchema, { id: `evt-${position}`, cursor: String(position) });
        }
        // Then it follows: nothing new comes until the client leaves.
        await once(context.signal, "abort");
      },
    });
  const server = createServer(connectNodeAdapter({ routes }));
  // The client keeps its HTTP/2 session open: close would wait for it forever.
  const sessions = new Set<Http2Session>();
  server.on("session", (session) => sessions.add(session));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = createSwitchboardClient({
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    credential: "none",
    tls: false,
  });
  t.after(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  return { client, afters };
}

test("the stream resumes from the last cursor after each drop", async (t) => {
  const { client, afters } = await flakyLog(t, { size: 7, dropAfter: 3 });
  const stream = new EventStream(client.events, { initialBackoffMs: 1, maxBackoffMs: 10 });

  const ids: string[] = [];
  for await (const event of stream) {
    if (ids.push(event.id) === 7) break;
  }

  assert.deepEqual(ids, ["evt-0", "evt-1", "evt-2", "evt-3", "evt-4", "evt-5", "evt-6"]);
  assert.deepEqual(afters, ["", "2", "5"]);
  assert.equal(stream.cursor, "6");
});

for (const code of [Code.InvalidArgument, Code.PermissionDenied, Code.Unauthenticated, Code.OutOfRange, Code.Unimplemented]) {
  test(`${Code[code]} ends the stream at once`, async (t) => {
    const { client, afters } = await flakyLog(t, { refuse: code });

    const error = await nextError(new EventStream(client.events, { initialBackoffMs: 1 }));

    assert.equal(error.code, code);
    assert.deepEqual(afters, [""]);
  });
}

test("the stream gives up after maxFailures", async (t) => {
  const { client, afters } = await flakyLog(t, { size: 5, dropAfter: 0 });

  const error = await nextError(new EventStream(client.events, { after: "1", initialBackoffMs: 1, maxFailures: 2 }));

  assert.equal(error.code, Code.Unavailable);
  assert.deepEqual(afters, ["1", "1", "1"]);
});

async function nextError(stream: EventStream): Promise<SwitchboardError> {
  try {
    for await (const event of stream) assert.fail(`want no event, got ${event.id}`);
  } catch (e) {
    assert.ok(e instanceof SwitchboardError, String(e));
    return e;
  }
  assert.fail("the stream ended without an error");
}
