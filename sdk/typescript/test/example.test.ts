import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";

const quickstart = new URL("../examples/quickstart.js", import.meta.url).pathname;

// Twice: the first run installs, the second finds the workspace installed from the start,
// and both then go through a duplicate install and a reconnect.
test("the example runs, twice", async () => {
  const first = await promisify(execFile)(process.execPath, [quickstart]);
  assert.match(first.stdout, /^installed /m);
  assert.match(first.stdout, /^already installed: reconnected .* \(reconnect #1\)$/m);
  assert.match(first.stdout, /^post: .*"DELIVERY_STATE_SENT"/m);
  assert.match(first.stdout, /^reply: .*"DELIVERY_STATE_SENT"/m);
  assert.match(first.stdout, /^dashboard: /m);

  const second = await promisify(execFile)(process.execPath, [quickstart]);
  assert.doesNotMatch(second.stdout, /^installed /m);
  assert.match(second.stdout, /reconnect #3\)$/m);
  assert.match(second.stdout, /^reply: .*"DELIVERY_STATE_SENT"/m);
});
