// What the tests share: the service that scripts/sdk_harness.py runs, and slack-sim's
// control API beside it.
import { createHmac, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type DescMessage, isMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Interceptor, UnaryRequest } from "@connectrpc/connect";
import {
  createSwitchboardClient,
  type Integration,
  type SwitchboardClient,
  type SwitchboardClientOptions,
  SwitchboardError,
} from "@switchboard/sdk";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests under scripts/sdk_harness.py`);
  return value;
}

export const env = {
  address: required("SWITCHBOARD_ADDR"),
  apiKey: required("SWITCHBOARD_API_KEY"),
  jwtSecret: required("SWITCHBOARD_JWT_SECRET"),
  simUrl: required("SLACK_SIM_URL"),
  workspaceId: required("SLACK_SIM_WORKSPACE_ID"),
  harnessUrl: required("SWITCHBOARD_HARNESS_URL"),
};

/** A client of the harness's service (plaintext, the service key) with `options` changed. */
export function connect(options: Partial<SwitchboardClientOptions> = {}): SwitchboardClient {
  return createSwitchboardClient({ address: env.address, credential: env.apiKey, tls: false, ...options });
}

/** A team of its own for each test: nothing another test does shows in its listings. */
export function newTeam(): string {
  return `team-${randomUUID()}`;
}

/** A team token: an HS256 JWT with the claims team_id and exp. */
export function teamToken(teamId: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = { team_id: teamId, exp: Math.floor(Date.now() / 1000) + 600 };
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${unsigned}.${createHmac("sha256", env.jwtSecret).update(unsigned).digest("base64url")}`;
}

/** Calls slack-sim's control API (or the harness's, given a full URL); JSON in and out. */
export async function control(path: string, body?: unknown, method = body === undefined ? "GET" : "POST") {
  const answer = await fetch(path.startsWith("http") ? path : env.simUrl + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!answer.ok) throw new Error(`${method} ${path}: HTTP ${answer.status} ${await answer.text()}`);
  const text = await answer.text();
  return text ? JSON.parse(text) : undefined;
}

/** A new slack-sim workspace with these channels; its id. */
export async function newWorkspace(channels: string[] = []): Promise<string> {
  const { id } = await control("/_sim/workspaces", { name: `Workspace ${randomUUID().slice(0, 8)}` });
  for (const name of channels) await control(`/_sim/workspaces/${id}/channels`, { name });
  return id;
}

/** Starts an install and approves it at slack-sim: the code and state to complete it with. */
export async function authorize(client: SwitchboardClient, teamId: string, workspaceId = env.workspaceId) {
  const { authorizeUrl, state } = await client.integrations.startSlackOAuth({ teamId });
  const answer = await fetch(`${authorizeUrl}&team=${workspaceId}`, { redirect: "manual" });
  const location = new URL(answer.headers.get("location") ?? "");
  return { code: location.searchParams.get("code") ?? "", state };
}

/** Installs the workspace for the team: the new integration. */
export async function install(client: SwitchboardClient, teamId: string, workspaceId = env.workspaceId): Promise<Integration> {
  return client.integrations.completeSlackOAuth(await authorize(client, teamId, workspaceId));
}

/**
 * An integration of a new team, its notification channel set to #alerts: ready to send. In
 * a workspace of its own, so that no other test's posts come before its own in the pace
 * slack-sim keeps per channel.
 */
export async function readyToSend(client: SwitchboardClient): Promise<Integration> {
  const integration = await install(client, newTeam(), await newWorkspace(["alerts"]));
  const { channels } = await client.channels.listChannels({ integrationId: integration.id, nameQuery: "alerts" });
  await client.channels.setNotificationChannel({ integrationId: integration.id, channelId: channels[0].id });
  return integration;
}

/** Polls `probe` until it answers something, for at most `seconds`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, seconds = 20): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** What each attempt sent, as the caller's interceptors see it. */
export interface Attempt {
  method: string;
  message: UnaryRequest["message"];
  header: Headers;
}

/** The messages of this type that the attempts sent, in order. */
export function sentAs<Desc extends DescMessage>(attempts: Attempt[], schema: Desc): MessageShape<Desc>[] {
  return attempts.map((a) => a.message).filter((m): m is MessageShape<Desc> => isMessage(m, schema));
}

/** A client whose every attempt is recorded in `attempts`. */
export function recorded(options: Partial<SwitchboardClientOptions> = {}) {
  const attempts: Attempt[] = [];
  const record: Interceptor = (next) => (req) => {
    if (!req.stream) attempts.push({ method: req.method.name, message: req.message, header: new Headers(req.header) });
    return next(req);
  };
  return { client: connect({ ...options, interceptors: [record] }), attempts };
}

/** The error the call failed with, decoded; fails the test when the call succeeds. */
export async function failure(call: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await call;
  } catch (e) {
    return SwitchboardError.from(e);
  }
  throw new Error("the call succeeded, where it should have failed");
}
