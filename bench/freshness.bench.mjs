// Freshness (issue 5): seconds from a reading being written on the receiver to Share storing it,
// for 20 live readings. The real daemon (`sharebridge run`, dist/main.js) runs as its own process
// on real time against the receiver emulator (realistic latency, a new reading every 2 s, on TCP)
// and the Share emulator (loopback HTTP), both in this process so that each reading's two instants
// are known exactly: when the receiver's clock reached the reading's time, and when Share stored it.
//
// The figure is split into its parts: the margin after the next reading is due at which the daemon
// wakes (src/sync/schedule.ts: 0.2 s at a 2 s interval, 5 s at the receivers' 5-minute interval),
// the receiver's whole-second clock (the daemon knows a reading's time as its ST, 0–1 s after the
// true instant), and the cycle itself.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReceiverEmulator } from "../dist/emulator/receiver/index.js";
import { startShareEmulator } from "../dist/emulator/share/index.js";
import { nextWakeMs } from "../dist/sync/schedule.js";
import { RECEIVER_EPOCH_MS } from "../dist/time/epoch.js";
import { MAIN, median, PASSWORD, sleep, USER } from "./processes.mjs";

const INTERVAL_SECONDS = 2;
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
  await writeFile(join(dir, "config.json"), JSON.stringify({ clock: { assumeSynchronized: true } }));
  const startedAt = Date.now();
  const daemon = spawn(
    process.execPath,
    [
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
  } finally {
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.once("exit", resolve));
    await share.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
  const sample = live().slice(0, READINGS);
  const lags = sample.map(([st, at]) => (at - instantOf(st)) / 1000);
  /** How long after a reading is due the daemon wakes, at a given interval. */
  const marginSeconds = (intervalSeconds) =>
    (nextWakeMs({ nowMs: 0, lastReadingUtcMs: 0, readingIntervalSeconds: intervalSeconds }) -
      intervalSeconds * 1000) /
    1000;
  const margin = marginSeconds(INTERVAL_SECONDS);
  // The daemon knows a reading's time as its ST (whole seconds through the held offset): it wakes at
  // ST + margin. ST − true instant is the same for every reading of a run (0 to about 1 s).
  const rounding = sample.map(([st]) => (st - instantOf(st)) / 1000);
  const cycles = sample.map(([st, at]) => (at - st) / 1000 - margin);
  const f = (x) => x.toFixed(2);
  print(
    `freshness over ${lags.length} live readings (interval ${INTERVAL_SECONDS} s, realistic receiver latency, ` +
      `daemon as its own process):`,
  );
  print(
    `  written on the receiver → stored on Share: median ${f(median(lags))} s, max ${f(Math.max(...lags))} s`,
  );
  print(
    `  = wake margin after the reading is due ${f(margin)} s (${f(marginSeconds(300))} s at the receivers' 300 s interval)`,
  );
  print(`  + the reading's time known to the whole second (ST − true instant) ${f(median(rounding))} s`);
  print(
    `  + the cycle from wake-up to Share's answer: median ${f(median(cycles))} s, max ${f(Math.max(...cycles))} s`,
  );
  if (rssKiB !== undefined) {
    print(
      `the daemon process's resident memory after these cycles: ${(rssKiB / 1024).toFixed(1)} MiB (VmRSS)`,
    );
  }
}
