/**
 * The composition root (DESIGN.md §1): the one place that turns a validated configuration into the
 * running system. The daemon (`run`), the one-shot `sync` and the demo all get their receiver
 * session, sinks, state store, clock source and logger from here; nothing below this layer reads the
 * configuration.
 *
 *   config ─┬─► state store (stateDir)
 *           ├─► Share account (credentials from the password file, the systemd credential or the
 *           │   Docker secret) ─► Share sink, Share's read-back, Share's clock
 *           ├─► receiver opener (device: auto, a path, tcp://, emulate; receiver.serial)
 *           ├─► true clock (host synchronisation, else Share's server time)
 *           ├─► archive sink (archive.retentionDays > 0): the local history in <stateDir>/archive,
 *           │   told Share's outcome of every reading through `outcomes`
 *           └─► MQTT sink for Home Assistant (mqtt.url; the daemon only, loaded only then)
 */

import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { credentialsFromConfig } from "../config/credentials.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { TransportOpener } from "../receiver/transport.js";
import type { ShareRetry } from "../share/settings.js";
import { ARCHIVE_DIR_NAME } from "../sinks/archive/archive-files.js";
import { ArchiveSink } from "../sinks/archive/archive-sink.js";
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
import { prepareStateDirectory } from "../sync/state-directory.js";
import { StateStore } from "../sync/state-store.js";
import { detectHostSync, type HostSyncState } from "../time/host-sync.js";
import { type TrueClockSource, trueClockSource } from "../time/true-clock-source.js";
import { type Mqtt, mqttFromConfig, uploaderStatus } from "./mqtt.js";
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
  /**
   * Publish to the MQTT broker when mqtt.url is set: the daemon does (`run`); one-shot commands do
   * not, since the availability they would publish ends with them.
   */
  readonly mqtt?: boolean;
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
  /** The local history; undefined when archive.retentionDays is 0. */
  readonly archive: ArchiveSink | undefined;
  readonly clock: DaemonClock;
  readonly log: Logger;
  /** The MQTT sink and its bridge, when mqtt.url is set and `SystemOptions.mqtt` asked for it. */
  readonly mqtt: Mqtt | undefined;
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
  const archive = await openArchive(config, log);
  if (archive !== undefined) outcomes.subscribe(archive.noteOutcome);
  const mqtt = options.mqtt === true ? await mqttFromConfig(config, { log, env }) : undefined;
  // The client can be rebuilt (new credentials): every use goes through `share.client`. Share first:
  // the engine hands each chunk to the sinks in this order.
  const sinks: readonly Sink[] = [
    new ShareSink(() => share.client, outcomes),
    ...(archive === undefined ? [] : [archive]),
    ...(mqtt === undefined ? [] : [mqtt.sink]),
  ];
  // Home Assistant hears about the receiver before it is even connected (waiting for it, say).
  const knownSerial = config.receiver.serial ?? store.current.lastSerial;
  if (knownSerial !== undefined) mqtt?.bridge.useSerial(knownSerial);
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
    device ??= await deviceFromSpec(config.device, log, { serial: config.receiver.serial });
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
    archive,
    clock,
    log,
    mqtt,
    async openReceiver(signal) {
      return openReceiverSession(await opener(), {
        log,
        timeoutMs: options.linkTimeoutMs,
        now: () => clock.now(),
        expectedSerial: config.receiver.serial,
        signal,
      });
    },
    cycleDeps(session) {
      return { session, store, sinks, trueClock: (signal) => trueClock.get(signal), clock, readBack, log };
    },
    daemon(daemonOptions = {}) {
      const daemon = new Daemon({
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
      mqtt?.bridge.watchStatus(() => uploaderStatus(daemon.snapshot()));
      return daemon;
    },
    async close() {
      // "offline" for Home Assistant first, while the process is still sure to be alive.
      await mqtt?.bridge.close();
      await archive?.close(clock.now());
      await share.close();
      await device?.release();
    },
  };
  return system;
}

/**
 * The archive sink over `<stateDir>/archive` (created mode 0700; when root runs a command in the
 * service's directory, new files go to the directory's owner, as the state file does).
 */
async function openArchive(config: Config, log: Logger): Promise<ArchiveSink | undefined> {
  if (config.archive.retentionDays === 0) return undefined;
  const prepared = await prepareStateDirectory(join(config.stateDir, ARCHIVE_DIR_NAME));
  return new ArchiveSink({
    dir: prepared.dir,
    retentionDays: config.archive.retentionDays,
    owner: prepared.ownerForNewFiles,
    log,
  });
}
