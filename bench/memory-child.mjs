// Run by memory.bench.mjs in a fresh `node --expose-gc` process: the daemon for 2,000 cycles on a
// fake clock (each sleep moves time forward at once) against the receiver emulator in-process and
// the Share emulator on loopback HTTP, with process.memoryUsage() taken after a full GC at cycles
// 100, 1,000 and 2,000 (the last for the trend).
//
// With the argument `bounded`, the emulators' own stores stop growing (the receiver keeps at most 20
// pages per partition, Share forgets its readings every 50 cycles) and the samples go on to cycle
// 8,000: what still grows then is the daemon's. Prints one JSON line.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSystem } from "../dist/app/system.js";
import { configFromDocument } from "../dist/config/load.js";
import { createReceiverEmulator } from "../dist/emulator/receiver/index.js";
import { startShareEmulator } from "../dist/emulator/share/index.js";
import { silentLogger } from "../dist/log.js";

const USER = "wearer";
const PASSWORD = "c0rrect-h0rse!";
const BOUNDED = process.argv[2] === "bounded";
const MARKS = BOUNDED ? [100, 1000, 4000, 8000] : [100, 1000, 2000];

// A fixed start: the figures do not depend on the day the benchmark runs.
const time = { now: Date.UTC(2026, 2, 10, 8, 31, 0) };
const now = () => time.now;
const receiver = createReceiverEmulator({
  profile: "g4",
  seed: 5,
  days: 2,
  live: { intervalSeconds: 300 },
  now,
  ...(BOUNDED ? { maxPages: 20 } : {}),
});
const share = await startShareEmulator({ accounts: [{ name: USER, password: PASSWORD, region: "us" }], now });
const dir = await mkdtemp(join(tmpdir(), "sharebridge-memory-"));
const passwordFile = join(dir, "password");
await writeFile(passwordFile, `${PASSWORD}\n`);
const config = configFromDocument({
  stateDir: join(dir, "state"),
  clock: { assumeSynchronized: true },
  share: { server: share.url("us"), username: USER, passwordFile },
  log: { level: "silent" },
});
const system = await buildSystem(config, {
  log: silentLogger,
  clock: {
    now,
    sleep: async (ms, signal) => {
      if (signal.aborted) return;
      const done = cycles();
      if (BOUNDED && done % 50 === 0) {
        const account = share.account(USER);
        account.egvs.length = 0;
        account.egvKeys.clear();
      }
      for (const mark of MARKS) {
        if (done >= mark && samples[mark] === undefined) {
          // The emulator's request log is the test's, not the daemon's: keep it from growing.
          share.clearRequests();
          samples[mark] = { ...sample(), cycles: done, posted: daemon.snapshot().cycles.posted ?? 0 };
        }
      }
      if (done >= MARKS.at(-1)) controller.abort();
      time.now += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  },
  retry: { retries: 0, minDelayMs: 0, maxDelayMs: 0 },
  opener: () => receiver.opener(),
  hostSync: async () => ({ synchronised: true, source: "bench", detail: "bench" }),
});
const controller = new AbortController();
const samples = {};
let daemon;
const cycles = () => Object.values(daemon.snapshot().cycles).reduce((a, b) => a + b, 0);
const sample = () => {
  globalThis.gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
};
daemon = system.daemon({ random: () => 0.5, stallMs: 1e12 });
const before = sample();
const started = performance.now();
await daemon.run(controller.signal);
const wallMs = performance.now() - started;
await system.close();
await share.close();
await receiver.close();
await rm(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    gc: typeof globalThis.gc === "function",
    before,
    samples,
    wallMs,
    stored: share.account(USER).egvs.length,
    cycles: daemon.snapshot().cycles,
  }),
);
