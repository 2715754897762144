/**
 * The daemon against both emulators on a clock the test drives: every `sleep` of the daemon moves the
 * shared fake time forward, so hours of operation run in milliseconds while the receiver emulator's
 * clocks and live readings, the Share emulator's sessions and lockouts, and the daemon's schedule all
 * follow the same time.
 */
import { type FileHandle, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSystem, type System } from "../../../src/app/system.js";
import type { Config } from "../../../src/config/schema.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import type { ReceiverEmulatorOptions } from "../../../src/emulator/receiver/options.js";
import { type ShareEmulator, startShareEmulator } from "../../../src/emulator/share/index.js";
import { type Logger, silentLogger } from "../../../src/log.js";
import type { TransportOpener } from "../../../src/receiver/transport.js";
import type { Daemon, DaemonClock, DaemonOptions } from "../../../src/sync/daemon.js";
import type { ShareAccess } from "../../../src/sync/share-access.js";
import type { SyncState } from "../../../src/sync/state.js";
import type { StateStore } from "../../../src/sync/state-store.js";
import { openTemporaryExclusive } from "../../../src/sync/state-store.js";
import type { HostSyncState } from "../../../src/time/host-sync.js";
import { TEST_EPOCH_MS } from "../../support/epoch.js";

export const USER = "wearer";
export const PASSWORD = "c0rrect-h0rse!";
export const SYNCED: HostSyncState = { synchronised: true, source: "test", detail: "test" };
export const UNSYNCED: HostSyncState = { synchronised: false, source: "none", detail: "test" };

export interface DaemonBench {
  readonly receiver: ReceiverEmulator;
  readonly share: ShareEmulator;
  readonly dir: string;
  readonly passwordFile: string;
  now: number;
  hostSync: HostSyncState;
  /** Replace to simulate an absent receiver (throw) or a TCP/pty transport. */
  opener: TransportOpener;
  config: Config;
  /** Opens each state write's temp file (the state store's default unless replaced: a full disk). */
  openTemporary?: ((path: string) => Promise<FileHandle>) | undefined;
  /** Builds the system (composition root) and its daemon over the current settings. */
  daemon(options?: DaemonOverrides): Promise<{
    daemon: Daemon;
    store: StateStore<SyncState>;
    access: ShareAccess;
    system: System;
  }>;
  /**
   * Builds and runs a daemon. `stop()` aborts it and waits until it settled; `close()` stops every
   * daemon still running, so a test that fails half-way leaves none behind.
   */
  start(options?: DaemonOverrides): Promise<RunningDaemon>;
  /** Yields to the daemon until `until()` holds (each of its sleeps moves fake time). */
  runWhile(until: () => boolean): Promise<void>;
  /** Runs a daemon until `until()` holds or `maxHours` of fake time passed; returns it stopped. */
  runUntil(until: () => boolean, maxHours: number, options?: DaemonOverrides): Promise<Daemon>;
  /** Readings Share holds for the account: [ST ms, value]. */
  stored(): [number, number][];
  close(): Promise<void>;
}

export interface RunningDaemon {
  readonly daemon: Daemon;
  readonly access: ShareAccess;
  readonly store: StateStore<SyncState>;
  stop(): Promise<void>;
}

export interface DaemonOverrides
  extends Partial<Pick<DaemonOptions, "onStall" | "stallMs" | "random" | "devicePollMs">> {
  readonly clock?: DaemonClock;
}

export interface DaemonBenchOptions {
  readonly receiver?: Omit<ReceiverEmulatorOptions, "now">;
  readonly backfillHours?: number;
  readonly readingIntervalSeconds?: number;
  readonly log?: Logger;
}

export async function daemonBench(options: DaemonBenchOptions = {}): Promise<DaemonBench> {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-daemon-"));
  const passwordFile = join(dir, "password");
  await writeFile(passwordFile, `${PASSWORD}\n`);
  const time = { now: TEST_EPOCH_MS - 6 * 3_600_000 };
  const receiver = createReceiverEmulator({
    profile: "g4",
    seed: 5,
    days: 2,
    live: { intervalSeconds: options.readingIntervalSeconds ?? 300 },
    ...options.receiver,
    now: () => time.now,
  });
  const share = await startShareEmulator({
    accounts: [{ name: USER, password: PASSWORD, region: "us" }],
    now: () => time.now,
  });
  const log = options.log ?? silentLogger;
  const clock: DaemonClock = {
    now: () => time.now,
    sleep: async (ms, signal) => {
      if (signal.aborted) return;
      time.now += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
  const started = new Set<RunningDaemon>();
  const self: DaemonBench = {
    receiver,
    share,
    dir,
    passwordFile,
    get now() {
      return time.now;
    },
    set now(value) {
      time.now = value;
    },
    hostSync: SYNCED,
    opener: receiver.opener(),
    config: {
      device: "(test)",
      stateDir: join(dir, "state"),
      readingIntervalSeconds: options.readingIntervalSeconds ?? 300,
      backfillHours: options.backfillHours ?? 24,
      clock: { mode: "corrected", assumeSynchronized: false },
      share: {
        region: undefined,
        server: share.url("us"),
        username: USER,
        passwordFile,
        replaceReceiver: "auto",
        requestDeadlineSeconds: 60,
      },
      display: { units: "mg/dL" },
      archive: { retentionDays: 90 },
      alerts: { format: "ntfy", afterMinutes: 20 },
      http: { listen: null },
      receiver: {},
      mqtt: { topicPrefix: "sharebridge", discoveryPrefix: "homeassistant" },
      log: { level: "info" },
    },
    async daemon(overrides = {}) {
      const { clock: daemonClock, ...daemonOptions } = overrides;
      const system = await buildSystem(self.config, {
        openStateTemporary: (path) => (self.openTemporary ?? openTemporaryExclusive)(path),
        log,
        clock: daemonClock ?? clock,
        retry: { retries: 0, minDelayMs: 0, maxDelayMs: 0 },
        opener: () => self.opener,
        hostSync: async () => self.hostSync,
        linkTimeoutMs: 300,
      });
      const daemon = system.daemon({ random: () => 0.5, stallMs: 1e12, ...daemonOptions });
      return { daemon, store: system.store, access: system.share, system };
    },
    async start(overrides = {}) {
      const { daemon, access, store } = await self.daemon(overrides);
      const controller = new AbortController();
      const running = daemon.run(controller.signal);
      const handle: RunningDaemon = {
        daemon,
        access,
        store,
        async stop() {
          if (!started.delete(handle)) return;
          controller.abort();
          await running;
          await access.close();
        },
      };
      started.add(handle);
      return handle;
    },
    async runWhile(condition) {
      while (condition()) await new Promise((resolve) => setImmediate(resolve));
    },
    async runUntil(until, maxHours, overrides = {}) {
      const running = await self.start(overrides);
      const deadline = time.now + maxHours * 3_600_000;
      await self.runWhile(() => !until() && time.now < deadline);
      await running.stop();
      return running.daemon;
    },
    stored() {
      return share
        .account(USER)
        .egvs.map((e): [number, number] => [e.stMs, e.value])
        .sort((a, b) => a[0] - b[0]);
    },
    async close() {
      for (const handle of [...started]) await handle.stop().catch(() => undefined);
      await share.close();
      await receiver.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/**
 * The receiver's real readings inside the window ending now, as ST ms (true time, whole seconds).
 * The receiver's clock has whole-second resolution, so the true offset is known to within a second:
 * `offsetSeconds` picks which whole second (by default the nearest).
 */
export function receiverReadings(bench: DaemonBench, windowHours: number, offsetSeconds?: number): number[] {
  const epoch = Date.UTC(2009, 0, 1);
  const offset = offsetSeconds ?? Math.round(trueOffsetSeconds(bench));
  return receiverSystemSeconds(bench)
    .map((systemSeconds) => epoch + (systemSeconds + offset) * 1000)
    .filter((st) => st >= bench.now - windowHours * 3_600_000);
}

/** True UTC − receiver system clock, seconds (fractional), from the emulator's own clock. */
export function trueOffsetSeconds(bench: DaemonBench): number {
  const model = bench.receiver.model;
  return (bench.now - (Date.UTC(2009, 0, 1) + model.clock.systemTime * 1000)) / 1000;
}

/** System times of the receiver's real readings (not display-only, not special). */
function receiverSystemSeconds(bench: DaemonBench): number[] {
  return (bench.receiver.model.partitions[4]?.records ?? [])
    .filter((r) => "glucose" in r && !r.displayOnly && r.special === null)
    .map((r) => r.systemSeconds);
}

export interface LossReport {
  /** Readings on the receiver, inside the window, older than the newest one on Share, absent from Share. */
  readonly missing: number[];
  /** Readings on Share more than once. */
  readonly duplicates: number;
  /** Readings newer than the newest on Share (not yet due when the daemon stopped). */
  readonly notYetPosted: number[];
  readonly stored: number;
  readonly expected: number;
}

/**
 * Compares Share with the receiver: every real reading from `windowStartMs` (the backfill cutoff of
 * the first cycle that could post) must be on Share exactly once, except readings newer than the
 * newest one posted, which were not yet due when the daemon stopped.
 */
export function lossReport(bench: DaemonBench, windowStartMs: number): LossReport {
  const stored = bench.stored().map(([st]) => st);
  const storedSet = new Set(stored);
  // The receiver's whole-second clock leaves the true offset uncertain by a second on each side of
  // this reading of it; of the whole seconds in that range, take the one the daemon's held offset took.
  const exact = trueOffsetSeconds(bench);
  const candidates = [Math.floor(exact) - 1, Math.floor(exact), Math.floor(exact) + 1, Math.floor(exact) + 2];
  const score = (offset: number) =>
    receiverReadings(bench, 24 * 400, offset).filter((st) => storedSet.has(st)).length;
  const offset = candidates.reduce((best, c) => (score(c) > score(best) ? c : best), Math.round(exact));
  const expected = receiverReadings(bench, 24 * 400, offset).filter((st) => st >= windowStartMs);
  const newest = stored.at(-1) ?? Number.NEGATIVE_INFINITY;
  return {
    missing: expected.filter((st) => st <= newest && !storedSet.has(st)),
    duplicates: stored.length - storedSet.size,
    notYetPosted: expected.filter((st) => st > newest),
    stored: stored.length,
    expected: expected.length,
  };
}
