import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { Code, DeliveryState, SendMessageRequestSchema } from "@switchboard/sdk";
import { control, env, eventually, failure, readyToSend, recorded, sentAs } from "./harness.js";

after(() => control("/_sim/faults", undefined, "DELETE"));

test("a send whose answer is lost to a restart is retried with the same id and posts once", async () => {
  // More attempts than the default's five: they span about 8 s rather than 1.5 s at least,
  // so that a restart slowed down by a busy machine does not use them all up.
  const { client, attempts } = recorded({ retry: { maxAttempts: 8 } });
  const integration = await readyToSend(client);
  const text = `lost answer ${integration.id}`;
  const postsBefore = (await control("/_sim/calls?method=chat.postMessage")).length;

  // Slack holds the post: the service is killed while SendMessage waits for the delivery.
  await control("/_sim/faults", { method: "chat.postMessage", kind: "hold", times: 1 });
  const sending = client.messaging.sendMessage({
    integrationId: integration.id,
    message: { text },
    waitForDelivery: true,
  });
  await eventually("the post to reach slack-sim", async () => {
    const posts = await control("/_sim/calls?method=chat.postMessage");
    return posts.length > postsBefore || undefined;
  });
  await control(`${env.harnessUrl}/restart`, {});
  await control("/_sim/faults/release", {});

  const delivery = await sending;
  assert.equal(delivery.state, DeliveryState.SENT);
  const sends = sentAs(attempts, SendMessageRequestSchema);
  assert.ok(sends.length >= 2, `retried (${sends.length} attempts)`);
  const ids = new Set(sends.map((m) => m.internalMessageId));
  assert.deepEqual([...ids], [delivery.internalMessageId]);

  const { messages } = await control("/_sim/messages");
  const posted = messages.filter((m: { text?: string }) => m.text === text);
  assert.equal(posted.length, 1);
  assert.equal(posted[0].ts, delivery.slackTs);
});

test("every call has a deadline: 30 s, or the call's own", async () => {
  const { client, attempts } = recorded();
  await client.integrations.listPlatforms({});
  await client.integrations.listPlatforms({}, { timeoutMs: 1500 });
  assert.deepEqual(
    attempts.map((a) => a.header.get("grpc-timeout")),
    ["30000m", "1500m"],
  );
});

test("retries stop at the policy's attempts, and never go past the deadline", async () => {
  // A port nobody listens on: every attempt is refused (UNAVAILABLE) at once.
  const address = await new Promise<string>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
  const fast = { initialBackoffMs: 10, maxBackoffMs: 20 };

  const counted = recorded({ address, retry: { ...fast, maxAttempts: 3 } });
  const err = await failure(counted.client.integrations.listPlatforms({}));
  assert.equal(err.code, Code.Unavailable);
  assert.equal(counted.attempts.length, 3);

  const bounded = recorded({ address, retry: { initialBackoffMs: 300, maxAttempts: 10 } });
  const started = Date.now();
  const late = await failure(bounded.client.integrations.listPlatforms({}, { timeoutMs: 1000 }));
  assert.equal(late.code, Code.Unavailable);
  assert.ok(Date.now() - started < 1000, "gave up before the deadline");
  assert.ok(bounded.attempts.length >= 2 && bounded.attempts.length < 10);

  const off = recorded({ address, retry: false });
  assert.equal((await failure(off.client.integrations.listPlatforms({}))).code, Code.Unavailable);
  assert.equal(off.attempts.length, 1);
});
