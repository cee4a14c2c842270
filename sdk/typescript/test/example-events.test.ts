import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { newTeam } from "./harness.js";

const example = (name: string) => new URL(`../examples/${name}.js`, import.meta.url).pathname;

// After the quickstart, the events example sees its message's delivery.sent on the stream
// and as a verified webhook.
test("the events example streams and verifies a webhook", async () => {
  const env = { ...process.env, SWITCHBOARD_TEAM_ID: newTeam() };
  await promisify(execFile)(process.execPath, [example("quickstart")], { env });

  const { stdout } = await promisify(execFile)(process.execPath, [example("events")], { env });

  assert.match(stdout, /^stream: \{.*"deliverySent"/m);
  assert.match(stdout, /^webhook: \{.*"deliverySent"/m);
});
