// Shared plumbing of the sync benchmarks: the emulators as separate processes (so that the
// benchmark's own CPU time is the uploader's alone), a transport wrapper that counts bytes and
// link time, and a one-cycle sync over the real receiver link and Share client from dist/.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../dist/log.js";
import { Receiver } from "../dist/receiver/receiver.js";
import { tcpOpener } from "../dist/receiver/transports/tcp.js";
import { IncrementalReader } from "../dist/records/incremental-reader.js";
import { ShareClient } from "../dist/share/client.js";
import { createShareSettings } from "../dist/share/settings.js";
import { ShareSink } from "../dist/sinks/share-sink.js";
import { runCycle } from "../dist/sync/cycle.js";
import { SYNC_STATE_SCHEMA } from "../dist/sync/state.js";
import { StateStore } from "../dist/sync/state-store.js";

export const MAIN = new URL("../dist/main.js", import.meta.url).pathname;
export const USER = "wearer";
export const PASSWORD = "c0rrect-h0rse!";
export const HOST_CLOCK = { kind: "host", source: "host (bench)", correctionMs: 0, synchronised: true };

/** Starts `sharebridge ARGS` and resolves with the first stdout line (where it listens). */
export function startCli(args) {
  const child = spawn(process.execPath, [MAIN, ...args, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text) => {
      out += text;
      const newline = out.indexOf("\n");
      if (newline >= 0) resolve({ child, line: out.slice(0, newline), stop: () => stop(child) });
    });
    child.once("exit", (code) => reject(new Error(`sharebridge ${args.join(" ")} exited with ${code}`)));
  });
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** `sharebridge emulate receiver --listen 127.0.0.1:0 ARGS` → { host, port, stop }. */
export async function receiverProcess(args) {
  const started = await startCli(["emulate", "receiver", "--listen", "127.0.0.1:0", ...args]);
  const match = /tcp:\/\/([^:]+):(\d+)/.exec(started.line);
  if (match === null) throw new Error(`unexpected emulator output: ${started.line}`);
  return { host: match[1], port: Number(match[2]), stop: started.stop };
}

/** `sharebridge emulate share` with the benchmark account (and `args`, e.g. --latency) → { url, stop }. */
export async function shareProcess(args = []) {
  const started = await startCli([
    "emulate",
    "share",
    "--listen",
    "127.0.0.1:0",
    "--account",
    `${USER}:${PASSWORD}`,
    ...args,
  ]);
  const url = started.line.split(" ").at(-1);
  return { url, stop: started.stop };
}

/**
 * Wraps an opener: bytes each way, requests written, and link time — for each request, from the
 * write to the last byte that arrived before the next write (the receiver's answer time, including
 * the modelled latency of a real receiver when the emulator runs with --realistic).
 */
export function countingOpener(opener) {
  const counts = { bytesOut: 0, bytesIn: 0, writes: 0, linkMs: 0 };
  let writeAt;
  let lastDataAt;
  const settle = () => {
    if (writeAt !== undefined && lastDataAt !== undefined && lastDataAt >= writeAt) {
      counts.linkMs += lastDataAt - writeAt;
    }
    writeAt = undefined;
    lastDataAt = undefined;
  };
  return {
    counts,
    settle,
    opener: async (sink) => {
      const transport = await opener({
        data(chunk) {
          counts.bytesIn += chunk.length;
          lastDataAt = performance.now();
          sink.data(chunk);
        },
        closed: (error) => sink.closed(error),
      });
      return {
        description: transport.description,
        write(bytes) {
          settle();
          writeAt = performance.now();
          counts.bytesOut += bytes.length;
          counts.writes++;
          return transport.write(bytes);
        },
        close() {
          settle();
          return transport.close();
        },
      };
    },
  };
}

/**
 * A sync bench: one receiver connection (optionally limited to `pagesPerRequest`), a Share client,
 * the Share sink and a state store in a temporary directory. `cycle()` runs one sync cycle and
 * returns its report with the figures of that cycle alone, among them the time the cycle spent
 * waiting for the receiver (link time) and for Share (the posts and the read-back, each from request
 * to answer): the two bounds a cycle that reads and posts at the same time cannot beat.
 */
export async function syncBench({
  receiver,
  shareUrl,
  pagesPerRequest,
  backfillHours,
  readingIntervalSeconds,
}) {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-bench-"));
  const store = await StateStore.open(dir, SYNC_STATE_SCHEMA);
  const client = new ShareClient({
    settings: createShareSettings({
      server: shareUrl,
      username: USER,
      password: PASSWORD,
      retry: { retries: 0 },
    }),
  });
  let shareMs = 0;
  const timed = async (work) => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      shareMs += performance.now() - started;
    }
  };
  const poster = {
    postBatch: (serial, batch, signal) => timed(() => client.postBatch(serial, batch, signal)),
  };
  const readBack = { readLatestGlucose: (options) => timed(() => client.readLatestGlucose(options)) };
  const link = countingOpener(tcpOpener(receiver.host, receiver.port));
  const opened = performance.now();
  const rx = await Receiver.open(link.opener, { pagesPerRequest, timeoutMs: 2000 });
  const reader = new IncrementalReader(rx);
  const serial = await reader.serial();
  const connectMs = performance.now() - opened;
  const session = { receiver: rx, reader, serial };
  return {
    connectMs,
    /** Everything since the connection opened (identity reads included). */
    totals() {
      link.settle();
      return { ...link.counts, roundTrips: rx.stats.requests, httpRequests: client.stats.requests, shareMs };
    },
    async cycle() {
      link.settle();
      const before = { ...link.counts, requests: rx.stats.requests, http: client.stats.requests, shareMs };
      const cpu = process.cpuUsage();
      const started = performance.now();
      const report = await runCycle(
        {
          session,
          store,
          sinks: [new ShareSink(() => poster)],
          trueClock: async () => HOST_CLOCK,
          clock: { now: Date.now },
          readBack,
          log: silentLogger,
        },
        { mode: "corrected", backfillHours, readingIntervalSeconds },
      );
      link.settle();
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return {
        report,
        roundTrips: rx.stats.requests - before.requests,
        bytesOut: link.counts.bytesOut - before.bytesOut,
        bytesIn: link.counts.bytesIn - before.bytesIn,
        linkMs: link.counts.linkMs - before.linkMs,
        shareMs: shareMs - before.shareMs,
        httpRequests: client.stats.requests - before.http,
        cpuMs: (used.user + used.system) / 1000,
        wallMs,
      };
    },
    async close() {
      await rx.close();
      await client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on loopback (bound and released at once). */
export async function freePort() {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The daemon's Prometheus figures: name{labels} → value. */
export async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return out;
}

/** Sum of a metric's samples over all labels. */
export const sumOf = (metrics, name) =>
  Object.entries(metrics)
    .filter(([key]) => key === name || key.startsWith(`${name}{`))
    .reduce((sum, [, value]) => sum + value, 0);

/**
 * `sharebridge run` (dist/main.js, its own process, started as the systemd unit starts it) against
 * `device` and a Share emulator in this process (`latency` "MS:JITTER"), until Share holds `expected`
 * readings; returns the wall time, the daemon's cycles and reconnections, then stops it with SIGTERM.
 */
export async function daemonUntilPosted({ device, latency, backfillHours, expected, timeoutMs }) {
  const { startShareEmulator } = await import("../dist/emulator/share/index.js");
  const [latencyMs, jitterMs] = latency.split(":").map(Number);
  const share = await startShareEmulator({
    accounts: [{ name: USER, password: PASSWORD, region: "us" }],
    knobs: { faults: { latencyMs, latencyJitterMs: jitterMs } },
  });
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-bench-daemon-"));
  const port = await freePort();
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(dir, "password"), `${PASSWORD}\n`);
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({
      device,
      stateDir: join(dir, "state"),
      backfillHours,
      clock: { assumeSynchronized: true },
      share: { server: share.url("us"), username: USER, passwordFile: join(dir, "password") },
      http: { listen: `127.0.0.1:${port}` },
      log: { level: "warn" },
    }),
  );
  const started = performance.now();
  const daemon = spawn(
    process.execPath,
    [...DAEMON_NODE_FLAGS, MAIN, "run", "--config", join(dir, "config.json")],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  try {
    for (;;) {
      await sleep(200);
      if (share.account(USER).egvs.length >= expected) break;
      if (performance.now() - started > timeoutMs)
        throw new Error(`only ${share.account(USER).egvs.length} of ${expected} readings in time`);
    }
    const wallMs = performance.now() - started;
    const metrics = await scrape(port);
    return {
      posted: share.account(USER).egvs.length,
      wallMs,
      cycles: sumOf(metrics, "sharebridge_cycles_total"),
      reopens: metrics['sharebridge_link_errors_total{kind="reopens"}'] ?? 0,
    };
  } finally {
    await stop(daemon);
    await share.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The node flags the daemon runs with as shipped (systemd/sharebridge.service, the Dockerfile). */
export const DAEMON_NODE_FLAGS = [
  "--max-semi-space-size=2",
  "--optimize-for-size",
  "--single-threaded",
  "--no-opt",
  "--no-sparkplug",
  "--liftoff-only",
];

/** Set in a child that measures under the daemon's flags, so that it does not start another. */
const SHIPPED_CHILD = "SHAREBRIDGE_BENCH_SHIPPED_FLAGS";

/**
 * The lines of figures (those with " MB/s", and the decoder's page headings) that bench `name`
 * prints when node runs it with the daemon's flags as shipped (V8's interpreter only), or
 * undefined inside such a child.
 */
export async function figuresAsShipped(name) {
  if (process.env[SHIPPED_CHILD] !== undefined) return undefined;
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const runner = new URL("./run.mjs", import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, [...DAEMON_NODE_FLAGS, runner, name], {
    env: { ...process.env, [SHIPPED_CHILD]: "1" },
    timeout: 600_000,
  });
  return stdout.split("\n").filter((line) => / MB\/s|pages \(rev \d\)/.test(line));
}
