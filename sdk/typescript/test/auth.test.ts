import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Code, IntegrationService } from "@switchboard/sdk";
import { connect, env, failure, install, newTeam, recorded, teamToken } from "./harness.js";

test("a call without a credential answers UNAUTHENTICATED, reason CREDENTIAL_MISSING", async () => {
  // The SDK's client always sends one: the bare generated stub does not.
  const bare = createClient(IntegrationService, createGrpcTransport({ baseUrl: `http://${env.address}` }));
  const err = await failure(bare.listPlatforms({}));
  assert.equal(err.code, Code.Unauthenticated);
  assert.equal(err.reason, "CREDENTIAL_MISSING");
  assert.equal(err.domain, "switchboard");
});

test("an unknown key answers UNAUTHENTICATED", async () => {
  const err = await failure(connect({ credential: "not-a-key" }).integrations.listPlatforms({}));
  assert.equal(err.code, Code.Unauthenticated);
  assert.notEqual(err.reason, "CREDENTIAL_MISSING");
});

test("every call carries authorization: Bearer <credential>", async () => {
  const { client, attempts } = recorded();
  await client.integrations.listPlatforms({});
  await client.monitoring.getDashboardStats({});
  assert.deepEqual(
    attempts.map((a) => a.header.get("authorization")),
    [`Bearer ${env.apiKey}`, `Bearer ${env.apiKey}`],
  );
});

test("a team token reaches its own team's integrations only", async () => {
  const admin = connect();
  const [mine, theirs] = [await install(admin, newTeam()), await install(admin, newTeam())];
  const team = connect({ credential: teamToken(mine.teamId) });

  assert.equal((await team.integrations.getIntegration({ integrationId: mine.id })).id, mine.id);
  const err = await failure(team.integrations.getIntegration({ integrationId: theirs.id }));
  assert.equal(err.code, Code.PermissionDenied);
  assert.notEqual(err.reason, "");
});
