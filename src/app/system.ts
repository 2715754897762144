/**
 * The composition root (DESIGN.md §1): the one place that turns a validated configuration into the
 * running system. The daemon (`run`), the one-shot `sync` and the demo all get their receiver
 * session, sinks, state store, clock source and logger from here; nothing below this layer reads the
 * configuration.
 *
 *   config ─┬─► state store (stateDir)
 *           ├─► Share account (credentials from the password file, the systemd credential or the
 *           │   Docker secret) ─► Share sink, Share's read-back, Share's clock
 *           ├─► receiver opener (device: auto, a path, tcp://, emulate)
 *           └─► true clock (host synchronisation, else Share's server time)
 */

import type { FileHandle } from "node:fs/promises";
import { credentialsFromConfig } from "../config/credentials.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { TransportOpener } from "../receiver/transport.js";
import type { ShareRetry } from "../share/settings.js";
import { Outcomes } from "../sinks/outcomes.js";
import { ShareSink } from "../sinks/share-sink.js";
import type { Sink } from "../sinks/sink.js";
import type { CycleDeps, CycleSettings, ReceiverSession } from "../sync/cycle.js";
import { Daemon, type DaemonOptions } from "../sync/daemon.js";
import type { ShareReadBack } from "../sync/offset-recovery.js";
import { type OpenReceiverSession, openReceiverSession } from "../sync/receiver-session.js";
import { type DaemonClock, realDaemonClock } from "../sync/scheduler.js";
import { DAEMON_SHARE_RETRY, ShareAccess } from "../sync/share-access.js";
import { SYNC_STATE_SCHEMA, type SyncState } from "../sync/state.js";
import { StateStore } from "../sync/state-store.js";
import { detectHostSync, type HostSyncState } from "../time/host-sync.js";
import { type TrueClockSource, trueClockSource } from "../time/true-clock-source.js";
import { deviceFromSpec, type OpenedDevice } from "./receiver-device.js";

export interface SystemOptions {
  readonly log: Logger;
  /** The daemon's time (default: the host's); tests give a fake one. */
  readonly clock?: DaemonClock;
  /** Share's transient retries inside one call (default: the daemon's short ones). */
  readonly retry?: ShareRetry;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Instead of the configured device (tests: an emulator's opener). */
  readonly opener?: () => TransportOpener;
  /** Instead of asking the host whether its clock is synchronised. */
  readonly hostSync?: () => Promise<HostSyncState>;
  /** The link's per-request timeout, ms (default: the link's own). */
  readonly linkTimeoutMs?: number;
  /** How the state store opens its temp file (tests: a full disk). */
  readonly openStateTemporary?: (path: string) => Promise<FileHandle>;
}

export interface System {
  readonly config: Config;
  readonly settings: CycleSettings;
  readonly store: StateStore<SyncState>;
  readonly share: ShareAccess;
  readonly sinks: readonly Sink[];
  readonly trueClock: TrueClockSource;
  readonly readBack: ShareReadBack;
  /** What Share made of each reading, for sinks and listeners that keep a record (sinks/outcomes.ts). */
  readonly outcomes: Outcomes;
  readonly clock: DaemonClock;
  readonly log: Logger;
  /** Opens the receiver; when `signal` aborts, every request of the session ends at once (ABORTED). */
  openReceiver(signal?: AbortSignal): Promise<OpenReceiverSession>;
  /** What one cycle needs, for a session this system opened. */
  cycleDeps(session: ReceiverSession): CycleDeps;
  daemon(options?: Pick<DaemonOptions, "onStall" | "stallMs" | "random" | "devicePollMs">): Daemon;
  close(): Promise<void>;
}

export async function buildSystem(config: Config, options: SystemOptions): Promise<System> {
  const { log } = options;
  const clock = options.clock ?? realDaemonClock;
  const env = options.env ?? process.env;
  const store = await StateStore.open(config.stateDir, SYNC_STATE_SCHEMA, {
    log,
    clock,
    ...(options.openStateTemporary === undefined ? {} : { openTemporary: options.openStateTemporary }),
  });
  const share = await ShareAccess.create({
    credentials: credentialsFromConfig(config, options.retry ?? DAEMON_SHARE_RETRY, env),
    store,
    log,
    clock,
  });
  const outcomes = new Outcomes();
  // The client can be rebuilt (new credentials): every use goes through `share.client`.
  const sinks: readonly Sink[] = [new ShareSink(() => share.client, outcomes)];
  const readBack: ShareReadBack = { readLatestGlucose: (o) => share.client.readLatestGlucose(o) };
  const trueClock = trueClockSource({
    // `assumeSynchronized: false` in the file means "detect", not "assume unsynchronised".
    hostSync:
      options.hostSync ??
      (() => detectHostSync({ assumeSynchronized: config.clock.assumeSynchronized ? true : undefined })),
    reference: async (signal) => {
      const t = await share.client.serverTime(signal);
      return {
        utcMs: t.serverUtcMs,
        sentAtMs: t.sentAtMs,
        receivedAtMs: t.receivedAtMs,
        source: "share SystemUtcTime",
      };
    },
    clock,
    log,
  });
  const settings: CycleSettings = {
    mode: config.clock.mode,
    backfillHours: config.backfillHours,
    readingIntervalSeconds: config.readingIntervalSeconds,
  };
  let device: OpenedDevice | undefined;
  const opener = async (): Promise<TransportOpener> => {
    if (options.opener !== undefined) return options.opener();
    device ??= await deviceFromSpec(config.device, log);
    return device.opener;
  };
  const system: System = {
    config,
    settings,
    store,
    share,
    sinks,
    trueClock,
    readBack,
    outcomes,
    clock,
    log,
    async openReceiver(signal) {
      return openReceiverSession(await opener(), {
        log,
        timeoutMs: options.linkTimeoutMs,
        now: () => clock.now(),
        ...(signal === undefined ? {} : { signal }),
      });
    },
    cycleDeps(session) {
      return { session, store, sinks, trueClock: (signal) => trueClock.get(signal), clock, readBack, log };
    },
    daemon(daemonOptions = {}) {
      return new Daemon({
        settings,
        store,
        openReceiver: (signal) => system.openReceiver(signal),
        share,
        sinks,
        trueClock,
        readBack,
        clock,
        log,
        ...daemonOptions,
      });
    },
    async close() {
      await share.close();
      await device?.release();
    },
  };
  return system;
}
