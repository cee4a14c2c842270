// The console (gateway/console) in headless Chromium, driven by Playwright with Debian's
// browser, against a gateway in front of the harness's service and slack-sim: sign in with
// the service key, connect Slack, connect the same workspace again and reconnect, pick
// #alerts through the search, send a message and a reply until both are SENT, read the
// dashboard, and find both in slack-sim. Run by scripts/console.sh test, which sets
// SWITCHBOARD_CONSOLE_URL; screenshots go to SWITCHBOARD_CONSOLE_SCREENSHOTS.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run scripts/console.sh test under scripts/sdk_harness.py`);
  return value;
};
const consoleUrl = env('SWITCHBOARD_CONSOLE_URL'); // http://127.0.0.1:PORT/console/
const apiKey = env('SWITCHBOARD_API_KEY');
const simUrl = env('SLACK_SIM_URL');
const shots = env('SWITCHBOARD_CONSOLE_SCREENSHOTS');
// The service's configured OAuth redirect under the harness (scripts/sdk_harness.py); the
// browser is sent on from there to the console's callback, as a redirect to it would.
const HARNESS_REDIRECT = 'http://localhost:3000/slack/oauth/callback';

const run = Date.now().toString(36);
const teamId = `console-${run}`;
const messageText = `Console test message ${run}`;
const replyText = `Console test reply ${run}`;

let context, page, userDataDir;
const pageErrors = [];
let step = 0;
const shot = (name) => page.screenshot({ path: path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(shots, { recursive: true });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-console-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.route(`${HARNESS_REDIRECT}?*`, (route) => {
    const query = new URL(route.request().url()).search;
    route.fulfill({ status: 302, headers: { location: new URL(`oauth/callback${query}`, consoleUrl).href } });
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

const status = () => page.getByRole('status');
const integrationRows = () => page.locator('#integrations tbody tr');

test('the console runs the whole flow against the REST API', async () => {
  // /console redirects to /console/, which shows the sign-in form.
  await page.goto(consoleUrl.replace(/\/$/, ''));
  assert.equal(new URL(page.url()).pathname, '/console/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await shot('sign-in');

  await page.getByLabel('Service key or team JWT').fill(apiKey);
  await page.getByLabel('Team id').fill(teamId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await status().filter({ hasText: `Signed in for team ${teamId}` }).waitFor();
  await page.getByText('No integrations yet').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('switchboard.credential')), apiKey);
  await shot('signed-in');

  // Connect: slack-sim approves at once and redirects back to the console's callback.
  await page.getByRole('button', { name: 'Connect Slack' }).click();
  await status().filter({ hasText: 'Connected Demo Workspace' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/console/', 'the callback URL (with its code) is replaced');
  await integrationRows().first().getByText('ACTIVE').waitFor();
  assert.equal(await integrationRows().count(), 1);
  const integrationId = await integrationRows().first().getAttribute('data-id');
  await shot('connected');

  // The same workspace again: 409 ALREADY_EXISTS with ReconnectDetails; Reconnect applies it.
  // The channel search the returning page starts is held until the reconnect is shown: its
  // late answer goes beside the channel list and leaves the status to the reconnect.
  const channelSearch = /\/v1\/integrations\/[^/?]+\/channels\?/;
  let releaseSearch;
  const searchHeld = new Promise((resolve) => { releaseSearch = resolve; });
  await page.route(channelSearch, async (route) => { await searchHeld; await route.continue(); });
  await page.getByRole('button', { name: 'Connect Slack' }).click();
  const duplicate = page.locator('#duplicate');
  await duplicate.getByText(`already connected as Demo Workspace (${integrationId}`).waitFor();
  await shot('duplicate');
  await page.getByRole('button', { name: 'Reconnect' }).click();
  await status().filter({ hasText: 'Reconnected Demo Workspace (reconnect #1)' }).waitFor();
  releaseSearch();
  await page.locator('#channels-found').filter({ hasText: /^\d+ channels? found\.$/ }).waitFor();
  await page.unroute(channelSearch);
  assert.equal(await status().textContent(), 'Reconnected Demo Workspace (reconnect #1).');
  assert.ok(await duplicate.isHidden());
  assert.equal(await integrationRows().count(), 1, 'the reconnect keeps one integration');
  await shot('reconnected');

  // The notification channel, found by searching.
  await page.getByLabel('Search channels').fill('aler');
  await page.locator('#channels[data-query="aler"]').waitFor({ state: 'attached' });
  const alerts = page.getByRole('radio', { name: '#alerts' });
  await alerts.waitFor();
  assert.equal(await page.getByRole('radio', { name: '#general' }).count(), 0, 'the search filters');
  await alerts.check();
  await page.getByRole('button', { name: 'Set notification channel' }).click();
  await status().filter({ hasText: 'Notification channel set to #alerts' }).waitFor();
  await integrationRows().first().getByRole('cell', { name: '#alerts' }).waitFor();
  await shot('channel');

  // A test message and a reply, each watched until SENT.
  const deliveries = page.locator('#deliveries tbody tr');
  await page.getByLabel('Message', { exact: true }).fill(messageText);
  await page.getByRole('button', { name: 'Send test message' }).click();
  await deliveries.and(page.locator('[data-kind="Test message"][data-state="SENT"]')).waitFor();
  await page.getByLabel('Reply', { exact: true }).fill(replyText);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await deliveries.and(page.locator('[data-kind="Reply"][data-state="SENT"]')).waitFor();
  await shot('delivered');

  // The dashboard counts them (messagesLast24h includes replies).
  const figure = (field) => page.locator(`#dashboard dd[data-field="${field}"]`);
  await page.waitForFunction(() => document.querySelector('#dashboard dd[data-field="messagesLast24h"]')?.textContent === '2');
  assert.equal(await figure('activeIntegrations').textContent(), '1');
  assert.equal(await figure('configuredChannels').textContent(), '1');
  assert.equal(await figure('repliesLast24h').textContent(), '1');
  await page.locator('#dashboard').scrollIntoViewIfNeeded();
  await shot('dashboard');

  // Both reached Slack: the message in #alerts, the reply in its thread.
  const { messages } = await (await fetch(`${simUrl}/_sim/messages`)).json();
  const posted = messages.find((m) => m.text === messageText);
  assert.ok(posted, `slack-sim has the message: ${JSON.stringify(messages.map((m) => m.text))}`);
  const reply = messages.find((m) => m.text === replyText);
  assert.ok(reply, 'slack-sim has the reply');
  assert.equal(reply.thread_ts, posted.ts, 'the reply is in the message thread');
  assert.equal(reply.channel, posted.channel);

  // Sign-out forgets the credential.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(pageErrors, []);
});

// A fresh page of the console, signed out.
async function signedOut() {
  await page.goto(consoleUrl);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
}

test('a refused credential is shown with its reason and not kept', async () => {
  await signedOut();
  await page.getByLabel('Service key or team JWT').fill('not-a-key');
  await page.getByLabel('Team id').fill(teamId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'HTTP 401' }).waitFor();
  assert.match(await alert.textContent(), /^Sign-in failed: .+ \(CREDENTIAL_INVALID, HTTP 401\)$/);
  assert.ok(await page.getByRole('heading', { name: 'Sign in' }).isVisible());
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await shot('refused');
});

test('a team JWT signs in for its own team', async () => {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ team_id: teamId, exp: now + 600 })}`;
  const signature = createHmac('sha256', env('SWITCHBOARD_JWT_SECRET')).update(unsigned).digest('base64url');
  await signedOut();
  await page.getByLabel('Service key or team JWT').fill(`${unsigned}.${signature}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Team ${teamId} · team JWT`).waitFor();
  // The team of the first test: its integration, with #alerts.
  await integrationRows().first().getByRole('cell', { name: '#alerts' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});

test('every control has an accessible name', async () => {
  await signedOut();
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('input, textarea, button, select')]
      .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
      .map((el) => el.id || el.outerHTML));
  assert.deepEqual(unnamed, []);
  const landmarks = await page.evaluate(() => ['header', 'main', '[role=status]'].map((s) => document.querySelectorAll(s).length));
  assert.deepEqual(landmarks, [1, 1, 1]);
});
