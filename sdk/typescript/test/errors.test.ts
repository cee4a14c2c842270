import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, SwitchboardError } from "@switchboard/sdk";
import { authorize, connect, control, failure, install, newTeam } from "./harness.js";

afterEach(() => control("/_sim/faults", undefined, "DELETE"));

test("INVALID_ARGUMENT carries ErrorInfo and the BadRequest field violations", async () => {
  const err = await failure(connect().integrations.startSlackOAuth({ teamId: "" }));
  assert.equal(err.code, Code.InvalidArgument);
  assert.equal(err.domain, "switchboard");
  assert.notEqual(err.reason, "");
  assert.deepEqual(
    err.fieldViolations.map((v) => v.field),
    ["team_id"],
  );
  assert.notEqual(err.fieldViolations[0].description, "");
});

test("ALREADY_EXISTS carries ReconnectDetails, and its token reconnects", async () => {
  const client = connect();
  const teamId = newTeam();
  const first = await install(client, teamId);

  const err = await failure(install(client, teamId));
  assert.equal(err.code, Code.AlreadyExists);
  assert.equal(err.reason, "INTEGRATION_ALREADY_EXISTS");
  assert.equal(err.metadata.integration_id, first.id);
  assert.equal(err.metadata.team_id, teamId);
  const { reconnect } = err;
  assert.ok(reconnect?.existingIntegration && reconnect.reconnectTokenExpireTime);
  assert.equal(reconnect.existingIntegration.id, first.id);
  assert.ok(timestampDate(reconnect.reconnectTokenExpireTime) > new Date());

  // "If already exists, reconnect with the token":
  const reconnected = await client.integrations.reconnectIntegration({
    integrationId: reconnect.existingIntegration.id,
    reconnectToken: reconnect.reconnectToken,
  });
  assert.equal(reconnected.id, first.id);
  assert.equal(reconnected.reconnectCount, first.reconnectCount + 1);
});

test("UNAVAILABLE carries the RetryInfo delay, which retries honour", async () => {
  const rateLimited = { method: "oauth.v2.access", kind: "rate_limited", retry_after: 1, times: 1 };

  await control("/_sim/faults", rateLimited);
  const once = connect({ retry: false });
  const err = await failure(once.integrations.completeSlackOAuth(await authorize(once, newTeam())));
  assert.equal(err.code, Code.Unavailable);
  assert.equal(err.retryDelayMs, 1000);

  await control("/_sim/faults", rateLimited);
  const retrying = connect();
  const request = await authorize(retrying, newTeam());
  const started = Date.now();
  const integration = await retrying.integrations.completeSlackOAuth(request);
  assert.notEqual(integration.id, "");
  assert.ok(Date.now() - started >= 1000, "the retry waited for the RetryInfo delay");
});

test("SwitchboardError.from takes any error", () => {
  const err = SwitchboardError.from(new Error("boom"));
  assert.equal(err.code, Code.Unknown);
  assert.equal(err.reason, "");
  assert.deepEqual(err.fieldViolations, []);
  assert.ok(err.cause instanceof ConnectError);
  assert.equal(SwitchboardError.from(err), err);
});
