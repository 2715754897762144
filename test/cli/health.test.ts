/**
 * `sharebridge health` against real HTTP servers over loopback: the daemon's own health endpoint
 * (health-server.ts) with a given snapshot, and servers that are not sharebridge or do not answer.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { type HealthServer, startHealthServer } from "../../src/observe/health-server.js";
import type { DaemonSnapshot } from "../../src/sync/daemon-status.js";
import { healthySnapshot, T } from "../observe/support/snapshot.js";
import { cli } from "../support/cli.js";

let dir: string;
let health: HealthServer | undefined;
let other: Server | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-health-"));
});
afterEach(async () => {
  await health?.close();
  health = undefined;
  if (other !== undefined) {
    other.closeAllConnections();
    await new Promise((resolve) => other?.close(resolve));
    other = undefined;
  }
  await rm(dir, { recursive: true, force: true });
});

/** A configuration file with this http.listen; returns the `--config` arguments. */
async function config(listen: string | null): Promise<string[]> {
  const file = join(dir, "config.json");
  await writeFile(file, JSON.stringify({ http: { listen } }));
  return ["--config", file];
}

async function daemonEndpoint(snapshot: DaemonSnapshot): Promise<number> {
  health = await startHealthServer({
    listen: { host: "127.0.0.1", port: 0 },
    snapshot: () => snapshot,
    log: silentLogger,
  });
  return health.port;
}

async function otherServer(handler: Parameters<typeof createServer>[1]): Promise<number> {
  other = createServer(handler);
  await new Promise<void>((resolve) => other?.listen(0, "127.0.0.1", resolve));
  return (other.address() as AddressInfo).port;
}

describe("sharebridge health", () => {
  it("a healthy daemon: exit 0 and one line with its facts", async () => {
    const port = await daemonEndpoint(healthySnapshot());
    const run = await cli(["health", ...(await config(`127.0.0.1:${port}`))]);
    expect(run).toEqual({
      code: 0,
      stdout:
        "healthy: last successful cycle 1 min ago, last post 59 s ago, backlog 0, receiver SM12345678\n",
      stderr: "",
    });
  });

  it("an unhealthy daemon: exit 1 and its reason", async () => {
    const snapshot = healthySnapshot({
      lastSuccessAtMs: T - 700_000,
      phase: "waiting-for-share",
      waitingFor: "Share to answer (HTTP 503)",
    });
    const port = await daemonEndpoint(snapshot);
    const run = await cli(["health", ...(await config(`127.0.0.1:${port}`))]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      "unhealthy: the last successful sync cycle was 700 s ago (limit 600 s, two reading intervals); waiting for Share to answer (HTTP 503)\n",
    );
  });

  it("a wildcard listen address is asked on loopback", async () => {
    const port = await daemonEndpoint(healthySnapshot());
    const run = await cli(["health", ...(await config(`0.0.0.0:${port}`))]);
    expect(run.code).toBe(0);
  });

  it("http.listen off: says so, exit 1", async () => {
    const args = await config(null);
    const run = await cli(["health", ...args]);
    expect(run).toEqual({
      code: 1,
      stdout: `unhealthy: http.listen is off in ${args[1]}, so the daemon serves no /healthz to ask: set http.listen (e.g. "127.0.0.1:9477") or SHAREBRIDGE_HTTP_LISTEN, for the daemon and this command\n`,
      stderr: "",
    });
  });

  it("nothing listening: ECONNREFUSED, exit 1", async () => {
    const port = await otherServer(() => undefined);
    await new Promise((resolve) => other?.close(resolve));
    other = undefined;
    const run = await cli(["health", ...(await config(`127.0.0.1:${port}`))]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `unhealthy: nothing answers at http://127.0.0.1:${port}/healthz (ECONNREFUSED): is sharebridge run running, with this http.listen?\n`,
    );
  });

  it("a server that never answers: bounded by --timeout, exit 1", async () => {
    const port = await otherServer(() => undefined);
    const run = await cli(["health", "--timeout", "1", ...(await config(`127.0.0.1:${port}`))]);
    expect(run).toEqual({
      code: 1,
      stdout: `unhealthy: http://127.0.0.1:${port}/healthz did not answer within 1 s\n`,
      stderr: "",
    });
  });

  it("something else at that address, or an endless answer, is not taken for sharebridge", async () => {
    let body = "not found\n";
    let status = 404;
    const port = await otherServer((_request, response) => {
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(body);
    });
    const args = await config(`127.0.0.1:${port}`);
    const notOurs = await cli(["health", ...args]);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stdout).toBe(
      `unhealthy: http://127.0.0.1:${port}/healthz answered HTTP 404 without sharebridge's health report: is http.listen the daemon's address?\n`,
    );
    status = 200;
    body = `{"status":"ok","pad":"${"x".repeat(100_000)}"}`;
    const huge = await cli(["health", ...args]);
    expect(huge.stdout).toBe(
      `unhealthy: http://127.0.0.1:${port}/healthz answered with more than 16384 bytes: not sharebridge's health report\n`,
    );
    status = 503;
    body = JSON.stringify({ status: "unhealthy", reason: "line one\n\u001b[31mforged\u001b[0m" });
    const forged = await cli(["health", ...args]);
    expect(forged.stdout).toBe("unhealthy: line one??[31mforged?[0m\n");
  });

  it("a configuration that cannot be read is unhealthy (exit 1, never Docker's reserved 2)", async () => {
    const file = join(dir, "config.json");
    await writeFile(file, "{ not json");
    const run = await cli(["health", "--config", file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^unhealthy: cannot read the configuration: .+\n$/);
  });
});
