/**
 * TLS verification cannot be turned off (BRIEF; issue 10): with NODE_TLS_REJECT_UNAUTHORIZED=0 in its
 * environment, the built client still refuses a server whose certificate it cannot verify, and the
 * password never reaches that server. The certificate is self-signed and made at test time
 * (openssl); the client runs in its own process (dist/, built by `npm test`), as a daemon would.
 * A control child with node's own fetch reaches the same server, so the environment variable is
 * really in force.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const PASSWORD = "tls-Secret-never-sent-9f3a";
const CHILD = join(import.meta.dirname, "support", "tls-login-child.mjs");
const CONTROL = join(import.meta.dirname, "support", "tls-fetch-child.mjs");

describe("TLS verification", () => {
  let dir: string;
  let server: Server;
  let url: string;
  const received: string[] = [];
  let handshakes = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "share-tls-"));
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]);
    server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        received.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString("utf8")}`);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify("11111111-2222-4333-8444-555555555555"));
      });
    });
    server.on("secureConnection", () => handshakes++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.close(() => resolve());
      server?.closeAllConnections();
    });
    await rm(dir, { recursive: true, force: true });
  });

  const env = { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: "0", TEST_SHARE_PASSWORD: PASSWORD };

  it("the control: node's fetch, following NODE_TLS_REJECT_UNAUTHORIZED=0, reaches the self-signed server", async () => {
    const before = received.length;
    const { stdout } = await run(process.execPath, [CONTROL, url], { env, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ ok: true, status: 200 });
    expect(received.slice(before)).toEqual(["GET /ShareWebServices/Services/General/SystemUtcTime "]);
  });

  it("sharebridge's client refuses the certificate anyway: no request, the password never sent", async () => {
    const before = received.length;
    const handshakesBefore = handshakes;
    const { stdout } = await run(process.execPath, [CHILD, url], { env, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      code: "SHARE_UNAVAILABLE",
      cause: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
    expect(received.slice(before)).toEqual([]);
    expect(handshakes).toBe(handshakesBefore);
    expect(received.join("\n")).not.toContain(PASSWORD);
  });
});
