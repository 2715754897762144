/**
 * A sync test bench: the receiver emulator (in-process or TCP), the Share emulator over loopback
 * HTTP, a real Share client, a state store in a temporary directory and a host clock the test
 * controls. Everything the sync engine touches is the real part except the receiver and Dexcom.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReceiverEmulator, type ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import type { ReceiverEmulatorOptions } from "../../../src/emulator/receiver/options.js";
import { type ShareEmulator, startShareEmulator } from "../../../src/emulator/share/index.js";
import type { Logger } from "../../../src/log.js";
import { silentLogger } from "../../../src/log.js";
import { Receiver } from "../../../src/receiver/receiver.js";
import { IncrementalReader } from "../../../src/records/incremental-reader.js";
import { ShareClient } from "../../../src/share/client.js";
import { createShareSettings } from "../../../src/share/settings.js";
import { ShareSink } from "../../../src/sinks/share-sink.js";
import type { Sink } from "../../../src/sinks/sink.js";
import {
  type CycleDeps,
  type CycleOptions,
  type CycleReport,
  planOnly,
  type ReceiverSession,
  runCycle,
} from "../../../src/sync/cycle.js";
import { SYNC_STATE_SCHEMA, type SyncState } from "../../../src/sync/state.js";
import { StateStore } from "../../../src/sync/state-store.js";
import type { TrueClock } from "../../../src/time/reference-clock.js";
import { TEST_EPOCH_MS } from "../../support/epoch.js";

export const USER = "wearer";
export const PASSWORD = "c0rrect-h0rse!";
export const HOST_CLOCK: TrueClock = {
  kind: "host",
  source: "host (test)",
  correctionMs: 0,
  synchronised: true,
};

export interface Bench {
  readonly emulator: ReceiverEmulator;
  readonly share: ShareEmulator;
  readonly client: ShareClient;
  readonly store: StateStore<SyncState>;
  readonly dir: string;
  /** The host clock, ms; tests move it. */
  now: number;
  session(): Promise<ReceiverSession & { close(): Promise<void> }>;
  /** One cycle with the bench's Share client as the only sink (or `deps` overridden). */
  cycle(overrides?: CycleOverrides): Promise<CycleReport>;
  /** Readings Share stored for the account, oldest first. */
  stored(): { stMs: number; value: number; trend: number; sn: string }[];
  close(): Promise<void>;
}

export interface CycleOverrides extends Partial<CycleOptions> {
  /** The plan alone (`sync --dry-run`). */
  readonly dryRun?: boolean;
  readonly trueClock?: () => Promise<TrueClock>;
  readonly session?: ReceiverSession;
  readonly sinks?: readonly Sink[];
  /** Another store on the bench's directory (a restart). */
  readonly store?: StateStore<SyncState>;
}

export interface BenchOptions {
  readonly receiver?: Omit<ReceiverEmulatorOptions, "now">;
  readonly backfillHours?: number;
  readonly log?: Logger;
}

export async function bench(options: BenchOptions = {}): Promise<Bench> {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-sync-"));
  const state: { now: number } = { now: TEST_EPOCH_MS };
  const emulator = createReceiverEmulator({
    profile: "g4",
    seed: 21,
    days: 3,
    ...options.receiver,
    now: () => state.now,
  });
  const share = await startShareEmulator({
    accounts: [{ name: USER, password: PASSWORD, region: "us" }],
    now: () => state.now,
  });
  const client = new ShareClient({
    settings: createShareSettings({
      server: share.url("us"),
      username: USER,
      password: PASSWORD,
      retry: { retries: 0 },
    }),
  });
  const store = await StateStore.open(dir, SYNC_STATE_SCHEMA);
  let open: (ReceiverSession & { close(): Promise<void> }) | undefined;
  const log = options.log ?? silentLogger;

  const self: Bench = {
    emulator,
    share,
    client,
    store,
    dir,
    get now() {
      return state.now;
    },
    set now(value: number) {
      state.now = value;
    },
    async session() {
      if (open !== undefined) return open;
      const receiver = await Receiver.open(emulator.opener(), {
        timeoutMs: 500,
        clock: { now: () => state.now },
      });
      const reader = new IncrementalReader(receiver);
      const serial = await reader.serial();
      open = { receiver, reader, serial, close: () => receiver.close() };
      return open;
    },
    async cycle(overrides = {}) {
      const { dryRun, trueClock, session, sinks, store: otherStore, ...rest } = overrides;
      const deps: CycleDeps = {
        session: session ?? (await self.session()),
        store: otherStore ?? store,
        sinks: sinks ?? [new ShareSink(() => client)],
        trueClock: trueClock ?? (async () => HOST_CLOCK),
        clock: { now: () => state.now },
        readBack: client,
        log,
      };
      const settings = {
        mode: "corrected" as const,
        backfillHours: options.backfillHours ?? 24,
        readingIntervalSeconds: 300,
        ...rest,
      };
      return dryRun === true ? planOnly(deps, settings) : runCycle(deps, settings);
    },
    stored() {
      return share
        .account(USER)
        .egvs.map((e) => ({ stMs: e.stMs, value: e.value, trend: e.trend, sn: e.sn }))
        .sort((a, b) => a.stMs - b.stMs);
    },
    async close() {
      await open?.close();
      await client.close();
      await share.close();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/**
 * What should be on Share: the emulator's own EGV records that are real readings (not display-only,
 * not special) with true times inside the window, as [ST ms, value, trend]. The true time comes from
 * the emulator's clock: true UTC − receiver system clock is the same for every record.
 */
export function expectedReadings(b: Bench, windowHours: number): [number, number, number][] {
  const model = b.emulator.model;
  const offsetMs = b.now - (model.clock.systemTime * 1000 + Date.UTC(2009, 0, 1));
  const cutoff = b.now - windowHours * 3_600_000;
  return (model.partitions[4]?.records ?? [])
    .filter((r) => "glucose" in r && !r.displayOnly && r.special === null)
    .map((r): [number, number, number] => {
      const egv = r as { systemSeconds: number; glucose: number; trend: number };
      return [
        Date.UTC(2009, 0, 1) + egv.systemSeconds * 1000 + Math.round(offsetMs / 1000) * 1000,
        egv.glucose,
        egv.trend,
      ];
    })
    .filter(([st]) => st >= cutoff);
}
