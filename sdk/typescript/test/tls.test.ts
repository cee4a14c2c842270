import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Code } from "@switchboard/sdk";
import { connect, env, failure } from "./harness.js";

// The service serves plaintext; TLS is tried through a TLS-terminating HTTP/2 proxy in front
// of it, with a self-signed certificate for localhost.
const dir = mkdtempSync(join(tmpdir(), "switchboard-tls-"));
execFileSync("openssl", [
  "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
  "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
  "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
], { stdio: "ignore" });
const cert = readFileSync(join(dir, "cert.pem"));

const upstream = http2.connect(`http://${env.address}`);
const proxy = http2.createSecureServer({ key: readFileSync(join(dir, "key.pem")), cert });
proxy.on("stream", (stream, headers) => {
  const forwarded = upstream.request(
    Object.fromEntries(Object.entries(headers).filter(([name]) => name !== ":authority" && name !== ":scheme")),
  );
  let trailers = {};
  forwarded.on("response", (head) => stream.respond(head, { waitForTrailers: true }));
  forwarded.on("trailers", (tail) => (trailers = tail));
  stream.on("wantTrailers", () => stream.sendTrailers(trailers));
  stream.pipe(forwarded);
  forwarded.pipe(stream);
});
const port = await new Promise<number>((resolve) =>
  proxy.listen(0, "127.0.0.1", () => resolve((proxy.address() as { port: number }).port)),
);
// The clients' connections are idle, not closed: the proxy's end of them would keep this
// process alive.
const sessions = new Set<http2.ServerHttp2Session>();
proxy.on("session", (session) => sessions.add(session));
after(() => {
  for (const session of sessions) session.destroy();
  proxy.close();
  upstream.close();
});

test("TLS with given roots reaches the service; the default roots refuse a self-signed certificate", async () => {
  const trusting = connect({ address: `localhost:${port}`, tls: true, ca: cert });
  assert.ok((await trusting.integrations.listPlatforms({})).platforms.length > 0);
  assert.match((await failure(trusting.integrations.getIntegration({ integrationId: "none" }))).reason, /\w/);

  const systemRoots = connect({ address: `localhost:${port}`, retry: false });
  // Node's HTTP/2 client ends the stream (CANCEL) when the handshake fails: UNAVAILABLE.
  assert.equal((await failure(systemRoots.integrations.listPlatforms({}))).code, Code.Unavailable);
});
