/** The health and metrics endpoint over real HTTP on loopback. */
import { connect, type Socket } from "node:net";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { type HealthServer, MAX_CONNECTIONS, startHealthServer } from "../../src/observe/health-server.js";
import { renderMetrics } from "../../src/observe/metrics.js";
import type { DaemonSnapshot } from "../../src/sync/daemon-status.js";
import { logSink } from "../share/support/log-sink.js";
import { healthySnapshot, T } from "./support/snapshot.js";

let server: HealthServer | undefined;
let current: DaemonSnapshot = healthySnapshot();

afterEach(async () => {
  await server?.close();
  server = undefined;
  current = healthySnapshot();
});

async function start(options: { headersTimeoutMs?: number; snapshot?: () => DaemonSnapshot } = {}) {
  server = await startHealthServer({
    listen: { host: "127.0.0.1", port: 0 },
    snapshot: options.snapshot ?? (() => current),
    log: silentLogger,
    ...(options.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: options.headersTimeoutMs }),
  });
  return `http://127.0.0.1:${server.port}`;
}

async function get(url: string, method: "GET" | "HEAD" | "POST" | "DELETE" = "GET", body?: string) {
  const response = await request(url, { method, body });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: await response.body.text(),
  };
}

/** Sends raw bytes and returns everything the server sends back until it closes the connection. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("close", () => resolve(received));
    socket.on("error", reject);
    socket.write(bytes);
  });
}

describe("startHealthServer", () => {
  it("/healthz answers 200 with a small JSON body while healthy, 503 with the reason once not", async () => {
    const base = await start();
    const healthy = await get(`${base}/healthz`);
    expect(healthy.status).toBe(200);
    expect(healthy.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(healthy.headers["cache-control"]).toBe("no-store");
    expect(healthy.body).toBe(
      '{"status":"ok","phase":"idle","serial":"SM12345678","lastSuccessAgeSeconds":60,"lastPostAgeSeconds":59,"backlog":0}\n',
    );

    // Two reading intervals (600 s) and one second without a successful cycle.
    current = healthySnapshot({
      nowMs: T - 60_000 + 601_000,
      phase: "waiting-for-receiver",
      waitingFor: "the receiver (plug it in)",
      lastCycle: { atMs: T + 500_000, outcome: "receiver-error", durationMs: 1500, error: "no receiver" },
      backlog: 3,
    });
    const unhealthy = await get(`${base}/healthz`);
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.body).toBe(
      `${JSON.stringify({
        status: "unhealthy",
        reason:
          "the last successful sync cycle was 601 s ago (limit 600 s, two reading intervals); waiting for the receiver (plug it in); last error: no receiver",
        phase: "waiting-for-receiver",
        serial: "SM12345678",
        lastSuccessAgeSeconds: 601,
        lastPostAgeSeconds: 600,
        backlog: 3,
      })}\n`,
    );

    current = healthySnapshot();
    expect((await get(`${base}/healthz`)).status).toBe(200);
  });

  it("a fresh start is healthy for its grace period, then says no cycle has succeeded", async () => {
    const base = await start();
    current = healthySnapshot({ startedAtMs: T - 10_000, lastSuccessAtMs: undefined, lastCycle: undefined });
    expect((await get(`${base}/healthz`)).status).toBe(200);
    current = healthySnapshot({ startedAtMs: T - 700_000, lastSuccessAtMs: undefined, lastCycle: undefined });
    const late = await get(`${base}/healthz`);
    expect(late.status).toBe(503);
    expect(JSON.parse(late.body).reason).toBe(
      "no sync cycle has succeeded in the 700 s since the start (limit 600 s, two reading intervals)",
    );
  });

  it("/metrics serves the exposition with the 0.0.4 content type", async () => {
    const base = await start();
    const metrics = await get(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(metrics.body).toBe(renderMetrics(current));
  });

  it("HEAD gives the headers without a body; a query string is ignored", async () => {
    const base = await start();
    const full = await get(`${base}/metrics`);
    const head = await get(`${base}/metrics`, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers["content-length"]).toBe(String(Buffer.byteLength(full.body)));
    expect((await get(`${base}/healthz?verbose=1`)).status).toBe(200);
  });

  it("other paths are 404, other methods 405 with Allow", async () => {
    const base = await start();
    expect(await get(`${base}/`)).toMatchObject({
      status: 404,
      body: "not found: try /healthz or /metrics\n",
    });
    expect((await get(`${base}/healthz/x`)).status).toBe(404);
    const post = await get(`${base}/healthz`, "DELETE");
    expect(post).toMatchObject({ status: 405, body: "method not allowed\n" });
    expect(post.headers["allow"]).toBe("GET, HEAD");
  });

  it("never reads a request body: answers, closes that connection, and keeps serving", async () => {
    const base = await start();
    const answer = await raw(
      server?.port ?? 0,
      "POST /healthz HTTP/1.1\r\nhost: x\r\ncontent-length: 100000000\r\n\r\nsome of the body",
    );
    expect(answer.startsWith("HTTP/1.1 405 Method Not Allowed\r\n")).toBe(true);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect((await get(`${base}/healthz`)).status).toBe(200);
  });

  it("refuses oversized headers and drops a client that never finishes its headers", async () => {
    await start({ headersTimeoutMs: 300 });
    const port = server?.port ?? 0;
    const big = await raw(port, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(10_000)}\r\n\r\n`);
    expect(big.startsWith("HTTP/1.1 431 ")).toBe(true);
    const slow = await raw(port, "GET /healthz HTTP/1.1\r\nhost: x\r\n");
    expect(slow.startsWith("HTTP/1.1 408 ")).toBe(true);
  });

  it("keeps answering /healthz while a flood of slow clients holds connections, and holds at most 16", async () => {
    await start();
    const port = server?.port ?? 0;
    const slow: Socket[] = [];
    const PROBES = 30;
    const SLOW_PER_PROBE = 10;
    let answered = 0;
    let mostHeld = 0;
    try {
      for (let probe = 0; probe < PROBES; probe++) {
        // Slow clients: connected, headers begun, never finished (held until the headers timeout).
        const batch = Array.from({ length: SLOW_PER_PROBE }, () => {
          const socket = connect(port, "127.0.0.1");
          socket.on("error", () => undefined);
          slow.push(socket);
          return new Promise<void>((resolve) =>
            socket.once("connect", () => {
              socket.write("GET /healthz HTTP/1.1\r\nhost: x\r\n");
              resolve();
            }),
          );
        });
        await Promise.all(batch);
        const answer = await raw(port, "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").catch(
          () => "",
        );
        answered += answer.startsWith("HTTP/1.1 200 OK\r\n") ? 1 : 0;
        mostHeld = Math.max(mostHeld, server?.openConnections() ?? 0);
      }
      expect(answered).toBe(PROBES);
      expect(slow.length).toBe(PROBES * SLOW_PER_PROBE);
      expect(mostHeld).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(mostHeld).toBeGreaterThanOrEqual(MAX_CONNECTIONS - 1);
    } finally {
      for (const socket of slow) socket.destroy();
    }
  });

  it("answers 500 when the snapshot cannot be taken, and logs why", async () => {
    const sink = logSink();
    server = await startHealthServer({
      listen: { host: "127.0.0.1", port: 0 },
      snapshot: () => {
        throw new Error("boom");
      },
      log: sink.log,
    });
    const answer = await get(`http://127.0.0.1:${server.port}/metrics`);
    expect(answer).toMatchObject({ status: 500, body: "internal error\n" });
    expect(sink.lines().some((l) => l["msg"] === "health endpoint could not build its answer")).toBe(true);
  });

  it("a port in use is a configuration error naming http.listen", async () => {
    await start();
    const error = await startHealthServer({
      listen: { host: "127.0.0.1", port: server?.port ?? 0 },
      snapshot: () => current,
      log: silentLogger,
    }).catch((e: unknown) => e);
    expect(isSharebridgeError(error, "CONFIG_INVALID")).toBe(true);
    expect((error as Error).message).toBe(
      `http.listen: cannot listen on 127.0.0.1:${server?.port} (EADDRINUSE) [CONFIG_INVALID]`,
    );
  });

  it("beyond loopback only with an access token; then it says so; close is idempotent", async () => {
    const refused = await startHealthServer({
      listen: { host: "0.0.0.0", port: 0 },
      snapshot: () => current,
      log: silentLogger,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSharebridgeError(refused, "CONFIG_INVALID")).toBe(true);
    expect((refused as Error).message).toBe(
      "http.listen: 0.0.0.0 is not a loopback address, and no access token is set (http.tokenFile) [CONFIG_INVALID]",
    );
    const sink = logSink();
    const open = await startHealthServer({
      listen: { host: "0.0.0.0", port: 0 },
      snapshot: () => current,
      log: sink.log,
      token: "0123456789abcdef",
    });
    expect(sink.lines().map((l) => [l["level"], l["msg"]])).toEqual([
      [30, "listening beyond loopback: everything but /healthz asks for the access token"],
    ]);
    await open.close();
    await open.close();
  });
});
