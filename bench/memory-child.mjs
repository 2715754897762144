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
import { createReceiverEmulator } from "../dist/emulator/receiver/index.js";
import { startShareEmulator } from "../dist/emulator/share/index.js";
import { silentLogger } from "../dist/observe/log.js";
import { Daemon } from "../dist/sync/daemon.js";
import { openReceiverSession } from "../dist/sync/receiver-session.js";
import { ShareAccess } from "../dist/sync/share-access.js";
import { SYNC_STATE_SCHEMA } from "../dist/sync/state.js";
import { StateStore } from "../dist/sync/state-store.js";

const USER = "wearer";
const PASSWORD = "c0rrect-h0rse!";
const BOUNDED = process.argv[2] === "bounded";
const MARKS = BOUNDED ? [100, 1000, 4000, 8000] : [100, 1000, 2000];

const time = { now: Date.now() - 6 * 3_600_000 };
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
const config = {
  device: "(bench)",
  stateDir: join(dir, "state"),
  readingIntervalSeconds: 300,
  backfillHours: 24,
  clock: { mode: "corrected", assumeSynchronized: true },
  share: {
    region: undefined,
    server: share.url("us"),
    username: USER,
    passwordFile,
    replaceReceiver: "auto",
  },
  http: { listen: null },
  receiver: {},
  mqtt: { topicPrefix: "sharebridge", discoveryPrefix: "homeassistant" },
  log: { level: "silent" },
};
const store = await StateStore.open(config.stateDir, SYNC_STATE_SCHEMA);
const access = await ShareAccess.create({
  config,
  store,
  log: silentLogger,
  now,
  retry: { retries: 0, minDelayMs: 0, maxDelayMs: 0 },
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
daemon = new Daemon({
  mode: "corrected",
  backfillHours: 24,
  readingIntervalSeconds: 300,
  store,
  openReceiver: () => openReceiverSession(receiver.opener(), { log: silentLogger, now }),
  share: access,
  hostSync: async () => ({ synchronised: true, source: "bench", detail: "bench" }),
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
  log: silentLogger,
  random: () => 0.5,
  stallMs: 1e12,
});
const before = sample();
const started = performance.now();
await daemon.run(controller.signal);
const wallMs = performance.now() - started;
await access.close();
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
