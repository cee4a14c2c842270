import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  BatchSendMessagesRequestSchema,
  DeleteMessageRequestSchema,
  ReconnectIntegrationRequestSchema,
  ReplyToMessageRequestSchema,
  SendMessageRequestSchema,
  UpdateMessageRequestSchema,
} from "@switchboard/sdk";
import { failure, readyToSend, recorded, sentAs } from "./harness.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const last = <T>(sent: T[]): T => {
  assert.ok(sent.length > 0, "nothing of the kind was sent");
  return sent[sent.length - 1];
};

test("sends and replies without an internal_message_id get a fresh UUID; given ones are kept", async () => {
  const { client, attempts } = recorded();
  const integration = await readyToSend(client);

  const request = create(SendMessageRequestSchema, { integrationId: integration.id, message: { text: "ids" } });
  const delivery = await client.messaging.sendMessage(request);
  const generated = last(sentAs(attempts, SendMessageRequestSchema)).internalMessageId;
  assert.match(generated, uuid);
  assert.equal(delivery.internalMessageId, generated);
  assert.equal(request.internalMessageId, "", "the caller's request is left as it was");

  await client.messaging.replyToMessage({
    integrationId: integration.id,
    parentInternalMessageId: delivery.internalMessageId,
    message: { text: "reply" },
  });
  const reply = last(sentAs(attempts, ReplyToMessageRequestSchema)).internalMessageId;
  assert.match(reply, uuid);
  assert.notEqual(reply, generated);

  const mine = await client.messaging.sendMessage({
    integrationId: integration.id,
    internalMessageId: "my-own-id",
    message: { text: "mine" },
  });
  assert.equal(mine.internalMessageId, "my-own-id");
});

test("batch items get their missing ids, and the batch, update, delete and reconnect a request_id", async () => {
  const { client, attempts } = recorded();
  const integration = await readyToSend(client);

  const { results } = await client.messaging.batchSendMessages({
    requests: [
      { integrationId: integration.id, message: { text: "batch 1" } },
      { integrationId: integration.id, message: { text: "batch 2" }, internalMessageId: "batch-given" },
    ],
  });
  const batch = last(sentAs(attempts, BatchSendMessagesRequestSchema));
  assert.match(batch.requestId ?? "", uuid);
  const itemIds = batch.requests.map((r) => r.internalMessageId);
  assert.match(itemIds[0], uuid);
  assert.equal(itemIds[1], "batch-given");
  assert.deepEqual(
    results.map((r) => (r.result.case === "delivery" ? r.result.value.internalMessageId : r.result.case)),
    itemIds,
  );

  const target = { integrationId: integration.id, internalMessageId: "batch-given" };
  await client.messaging.updateMessage({ ...target, message: { text: "edited" } });
  assert.match(last(sentAs(attempts, UpdateMessageRequestSchema)).requestId ?? "", uuid);
  await client.messaging.deleteMessage({ ...target, requestId: "delete-given" });
  assert.equal(last(sentAs(attempts, DeleteMessageRequestSchema)).requestId, "delete-given");
  await failure(client.integrations.reconnectIntegration({ integrationId: integration.id, reconnectToken: "unknown" }));
  assert.match(last(sentAs(attempts, ReconnectIntegrationRequestSchema)).requestId ?? "", uuid);
});
