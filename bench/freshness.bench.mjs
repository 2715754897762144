// Freshness: seconds from a reading being written on the receiver to Share storing it, for 20 live
// readings. The real daemon (`sharebridge run`, dist/main.js) runs as its own process on real time
// against the receiver emulator (realistic latency, a new reading every 30 s, on TCP) and the Share
// emulator (loopback HTTP), both in this process so that each reading's two instants are known
// exactly: when the receiver's clock reached the reading's time, and when Share stored it.
//
// At a 30 s cadence the daemon keeps the margins of the receivers' 300 s cadence (schedule.ts): it
// probes for the next reading from 1 s before it is due, every 0.5 s, and runs a cycle as soon as
// the reading is stored. The extra receiver round trips this costs are the daemon's probe count
// (/metrics), per reading.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReceiverEmulator } from "../dist/emulator/receiver/index.js";
import { startShareEmulator } from "../dist/emulator/share/index.js";
import { probeMargins } from "../dist/sync/schedule.js";
import { RECEIVER_EPOCH_MS } from "../dist/time/epoch.js";
import { DAEMON_NODE_FLAGS, freePort, MAIN, median, PASSWORD, scrape, sleep, USER } from "./processes.mjs";

const INTERVAL_SECONDS = 30;
const READINGS = 20;

/** VmRSS of a process (Linux /proc), KiB; undefined elsewhere. */
async function residentKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match === null ? undefined : Number(match[1]);
}

/** Host ms at which the receiver's system clock ticks to a new second, and that second. */
function tickOf(receiver) {
  const first = receiver.clock.systemTime;
  const deadline = Date.now() + 2000;
  for (;;) {
    const now = Date.now();
    const system = receiver.clock.systemTime;
    if (system !== first) return { hostMs: now, system };
    if (now > deadline) throw new Error("the receiver clock does not tick");
  }
}

export async function run(print) {
  const receiver = createReceiverEmulator({
    profile: "g4",
    seed: 12,
    days: 1,
    realistic: true,
    live: { intervalSeconds: INTERVAL_SECONDS },
  });
  const listener = await receiver.listenTcp("127.0.0.1", 0);
  const share = await startShareEmulator({ accounts: [{ name: USER, password: PASSWORD, region: "us" }] });
  const storedAt = new Map();
  const storeEgv = share.state.storeEgv.bind(share.state);
  share.state.storeEgv = (account, egv) => {
    const stored = storeEgv(account, egv);
    if (stored) storedAt.set(egv.stMs, Date.now());
    return stored;
  };
  const tick = tickOf(receiver);
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-freshness-"));
  await writeFile(join(dir, "password"), `${PASSWORD}\n`);
  const metricsPort = await freePort();
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({ clock: { assumeSynchronized: true }, http: { listen: `127.0.0.1:${metricsPort}` } }),
  );
  const startedAt = Date.now();
  const daemon = spawn(
    process.execPath,
    [
      ...DAEMON_NODE_FLAGS,
      MAIN,
      "run",
      "--config",
      join(dir, "config.json"),
      "--device",
      `tcp://127.0.0.1:${listener.port}`,
      "--server",
      share.url("us"),
      "--username",
      USER,
      "--password-file",
      join(dir, "password"),
      "--state-dir",
      join(dir, "state"),
      "--reading-interval",
      String(INTERVAL_SECONDS),
      "--backfill-hours",
      "1",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  // Readings taken after the daemon's first cycle (the backfill is not what freshness is about).
  const liveFrom = startedAt + 5000;
  let offset;
  const instantOf = (stMs) => tick.hostMs + ((stMs - RECEIVER_EPOCH_MS) / 1000 - offset - tick.system) * 1000;
  const live = () => [...storedAt.entries()].filter(([st]) => instantOf(st) > liveFrom);
  let rssKiB;
  let probes;
  try {
    const deadline = Date.now() + (READINGS + 10) * INTERVAL_SECONDS * 1000 + 20_000;
    for (;;) {
      await sleep(500);
      if (offset === undefined) {
        const text = await readFile(join(dir, "state", "state.json"), "utf8").catch(() => undefined);
        const held = text === undefined ? undefined : Object.values(JSON.parse(text).receivers ?? {})[0];
        offset = held?.heldOffset?.offsetSeconds;
        if (offset === undefined) continue;
      }
      if (live().length >= READINGS) break;
      if (Date.now() > deadline) throw new Error(`only ${live().length} live readings reached Share in time`);
    }
    rssKiB = await residentKiB(daemon.pid);
    probes = (await scrape(metricsPort))["sharebridge_probes_total"];
  } finally {
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.once("exit", resolve));
    await share.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
  const sample = live().slice(0, READINGS);
  const lags = sample.map(([st, at]) => (at - instantOf(st)) / 1000);
  const sorted = [...lags].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
  const margins = probeMargins(INTERVAL_SECONDS);
  const readingsSeen = Math.max(1, live().length);
  const f = (x) => x.toFixed(2);
  print(
    `freshness over ${lags.length} live readings (a reading every ${INTERVAL_SECONDS} s, realistic receiver latency, ` +
      `daemon as its own process, the margins of the 300 s cadence):`,
  );
  print(
    `  written on the receiver → stored on Share: median ${f(median(lags))} s, p95 ${f(p95)} s, max ${f(Math.max(...lags))} s`,
  );
  print(
    `  probes from ${margins.leadMs / 1000} s before a reading is due, every ${margins.intervalMs / 1000} s: ` +
      `${probes} probes for ${readingsSeen} readings posted, ${(probes / readingsSeen).toFixed(1)} extra receiver round trips per reading`,
  );
  if (rssKiB !== undefined) {
    print(
      `the daemon process's resident memory after these cycles: ${(rssKiB / 1024).toFixed(1)} MiB (VmRSS)`,
    );
  }
}
