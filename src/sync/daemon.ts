/**
 * The daemon (`sharebridge run`, DESIGN.md §7):
 *
 *        ┌──────────────────────────────────────────────────────────────────────────────┐
 *        ▼                                                                              │
 *   receiver connected? ──no──► open it (auto: discover again) ──fails──► wait 2 s ─────┤
 *        │ yes                                                                          │
 *   Share blocked by the operator's account state? ──yes──► check for the operator ─────┤
 *        │ no                                                                           │
 *   one cycle (src/sync/cycle.ts) ──ok──► sleep until the next reading is due ──────────┤
 *        │ failed                                                                       │
 *        └─► receiver error: close the port, reconnect │ clock: wait │ Share: back off ───┘
 *
 * It never exits on a failure of the receiver, the clock or Share: it says what it waits for
 * (`snapshot().waitingFor`, logged once per change) and catches up when things return. It exits when
 * its signal aborts (SIGTERM/SIGINT: the step in flight is abandoned, state is already saved after
 * every acknowledged batch, the port is closed), and through `onStall` when its own loop stops
 * moving, so that systemd restarts it.
 */
import { isSharebridgeError, type SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import type { HostSyncState } from "../time/host-sync.js";
import { type ResolvedTrueClock, resolveTrueClock } from "../time/reference-clock.js";
import type { TimeMode } from "../time/share-times.js";
import { runCycle } from "./cycle.js";
import type { DaemonPhase, DaemonSnapshot } from "./daemon-status.js";
import type { OpenReceiverSession } from "./receiver-session.js";
import { backoffMs, nextWakeMs } from "./schedule.js";
import type { ShareAccess } from "./share-access.js";
import { type SyncState, serialKey } from "./state.js";
import type { StateStore } from "./state-store.js";

export interface DaemonClock {
  now(): number;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: DaemonClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    }),
};

export interface DaemonOptions {
  readonly mode: TimeMode;
  readonly backfillHours: number;
  readonly readingIntervalSeconds: number;
  readonly store: StateStore<SyncState>;
  /** Opens the receiver (with `auto`, finds it again each time). */
  readonly openReceiver: () => Promise<OpenReceiverSession>;
  readonly share: ShareAccess;
  /** Whether the host clock is NTP-synchronised (asked at most once a minute). */
  readonly hostSync: () => Promise<HostSyncState>;
  readonly clock?: DaemonClock;
  readonly log: Logger;
  readonly random?: () => number;
  /** While the receiver is absent, how often to look for it, ms (default 2000: a plug-in is seen within 2 s). */
  readonly devicePollMs?: number;
  /** The loop made no progress for this long (default max(15 min, 3 reading intervals)). */
  readonly stallMs?: number;
  /** Called once when the loop stalls; the CLI exits non-zero there so systemd restarts the service. */
  readonly onStall?: () => void;
}

const MINUTE = 60_000;
const SHARE_BACKOFF = { minMs: 30_000, maxMs: 10 * MINUTE };
const CLOCK_RETRY_MS = 30_000;
const OPERATOR_RECHECK_MS = MINUTE;
const ASSIGNMENT_RETRY_MS = 15 * MINUTE;
const HOST_SYNC_CACHE_MS = MINUTE;
const MONITORING_CHECK_MS = 60 * MINUTE;

const RECEIVER_CODES = new Set([
  "DEVICE_NOT_FOUND",
  "DEVICE_OPEN_FAILED",
  "DEVICE_DISCONNECTED",
  "RESPONSE_TIMEOUT",
  "PACKET_BAD_CRC",
  "PACKET_BAD_LENGTH",
  "RECEIVER_NAK",
  "RESPONSE_MALFORMED",
  "LINK_CLOSED",
  "LINK_FAILED",
  "PAGE_TRUNCATED",
  "PAGE_BAD_CRC",
  "PAGE_HEADER_INVALID",
  "XML_INVALID",
  "HISTORY_DISCONTINUITY",
]);

export class Daemon {
  readonly #o: DaemonOptions;
  readonly #clock: DaemonClock;
  readonly #random: () => number;
  readonly #startedAtMs: number;
  #session: OpenReceiverSession | undefined;
  #phase: DaemonPhase = "starting";
  #waitingFor: string | undefined;
  #lastCycle: DaemonSnapshot["lastCycle"];
  #lastSuccessAtMs: number | undefined;
  #backlog = 0;
  #nextWakeAtMs: number | undefined;
  #shareFailures = 0;
  #lastProgressAtMs: number;
  #hostSync: { value: HostSyncState; atMs: number } | undefined;
  #lastMonitoringCheckMs = 0;
  /** The last cycle's record being written (not awaited by the loop; awaited before `run` returns). */
  #lastCycleWrite: Promise<unknown> = Promise.resolve();
  readonly #cycles: Record<string, number> = {};
  readonly #shareErrors: Record<string, number> = {};
  /** Link counters of closed connections, added to the open one's. */
  readonly #linkTotals: Record<string, number> = {};

  constructor(options: DaemonOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#startedAtMs = this.#clock.now();
    this.#lastProgressAtMs = this.#startedAtMs;
  }

  snapshot(): DaemonSnapshot {
    const serial = this.#session?.serial ?? this.#o.store.current.lastSerial;
    const receiver = serial === undefined ? undefined : this.#o.store.current.receivers[serialKey(serial)];
    return {
      startedAtMs: this.#startedAtMs,
      nowMs: this.#clock.now(),
      phase: this.#phase,
      waitingFor: this.#waitingFor,
      serial,
      readingIntervalSeconds: this.#o.readingIntervalSeconds,
      lastCycle: this.#lastCycle,
      lastSuccessAtMs: this.#lastSuccessAtMs,
      lastReading: receiver?.lastReading,
      lastPostUtcMs: receiver?.lastPostUtcMs,
      backlog: this.#backlog,
      clockOffsetSeconds: receiver?.heldOffset?.offsetSeconds,
      cycles: { ...this.#cycles },
      linkErrors: this.#linkErrors(),
      shareErrors: { ...this.#shareErrors },
      nextWakeAtMs: this.#nextWakeAtMs,
    };
  }

  /** Runs until `signal` aborts. Never rejects for receiver, clock or Share trouble. */
  async run(signal: AbortSignal): Promise<void> {
    const stallMs = this.#o.stallMs ?? Math.max(15 * MINUTE, 3 * this.#o.readingIntervalSeconds * 1000);
    const watchdog = setInterval(
      () => {
        if (this.#clock.now() - this.#lastProgressAtMs > stallMs) {
          clearInterval(watchdog);
          this.#o.log.fatal(
            { stalledForMs: this.#clock.now() - this.#lastProgressAtMs },
            "the sync loop stalled",
          );
          this.#o.onStall?.();
        }
      },
      Math.min(stallMs, MINUTE),
    );
    watchdog.unref();
    this.#o.log.info(
      {
        readingIntervalSeconds: this.#o.readingIntervalSeconds,
        backfillHours: this.#o.backfillHours,
        mode: this.#o.mode,
      },
      "sharebridge daemon started",
    );
    try {
      while (!signal.aborted) {
        this.#lastProgressAtMs = this.#clock.now();
        const waitMs = await this.#step(signal);
        if (signal.aborted) break;
        this.#nextWakeAtMs = this.#clock.now() + waitMs;
        await this.#clock.sleep(waitMs, signal);
      }
    } finally {
      clearInterval(watchdog);
      this.#phase = "stopping";
      await this.#closeSession();
      await this.#o.share.persist().catch(() => undefined);
      // Stopped means settled: no write of ours may land on the state file after `run` returned.
      await this.#lastCycleWrite;
      this.#o.log.info("sharebridge daemon stopped");
    }
  }

  /** One turn of the loop; returns how long to sleep. */
  async #step(signal: AbortSignal): Promise<number> {
    if (this.#session === undefined) {
      try {
        this.#session = await this.#o.openReceiver();
        this.#o.log.info(
          { device: this.#session.description, serial: this.#session.serial },
          "receiver connected",
        );
        const last = this.#o.store.current.lastSerial;
        if (last !== undefined && serialKey(last) !== serialKey(this.#session.serial)) {
          this.#o.log.warn(
            { previous: last, serial: this.#session.serial },
            "a different receiver is connected",
          );
        }
      } catch (error) {
        this.#wait("waiting-for-receiver", `a receiver (${describe(error)})`);
        this.#count("receiver-unavailable");
        return this.#o.devicePollMs ?? 2000;
      }
    }
    const blocked = await this.#shareBlocked();
    if (blocked !== undefined) return blocked;

    this.#phase = "syncing";
    const started = this.#clock.now();
    try {
      const report = await runCycle(this.#session, this.#o.share.client, this.#o.store, {
        mode: this.#o.mode,
        backfillHours: this.#o.backfillHours,
        readingIntervalSeconds: this.#o.readingIntervalSeconds,
        trueClock: () => this.#trueClock(),
        now: () => this.#clock.now(),
        signal,
        log: this.#o.log,
      });
      this.#shareFailures = 0;
      this.#backlog = report.backlog;
      this.#lastSuccessAtMs = this.#clock.now();
      this.#finishCycle(started, report.outcome);
      if (report.posted > 0)
        this.#o.log.info({ posted: report.posted, serial: report.serial }, "readings posted");
      await this.#o.share.persist();
      await this.#keepMonitoringAlive(report.serial, signal);
      this.#wait("idle", undefined);
      return Math.max(
        0,
        nextWakeMs({
          nowMs: this.#clock.now(),
          lastReadingUtcMs: report.lastReading?.utcMs,
          readingIntervalSeconds: this.#o.readingIntervalSeconds,
        }) - this.#clock.now(),
      );
    } catch (error) {
      if (signal.aborted) return 0;
      await this.#o.share.persist().catch(() => undefined);
      return this.#failed(started, error);
    }
  }

  /** Logins refused, locked out: wait for the operator or the lock's end without asking Share. */
  async #shareBlocked(): Promise<number | undefined> {
    const login = this.#o.share.loginState;
    if (login.state === "credentials-rejected") {
      if (await this.#o.share.operatorActed()) return undefined;
      this.#wait(
        "waiting-for-operator",
        "Share refused the credentials: fix the password or region, or run `sharebridge share login`",
      );
      this.#count("credentials-refused");
      return OPERATOR_RECHECK_MS;
    }
    if (login.state === "locked-out") {
      this.#wait(
        "waiting-for-share",
        `Share's login lockout to end at ${new Date(login.untilMs).toISOString()}`,
      );
      this.#count("locked-out");
      return Math.max(1000, Math.min(login.untilMs - this.#clock.now(), 10 * MINUTE));
    }
    return undefined;
  }

  #failed(started: number, error: unknown): number {
    const code = isSharebridgeError(error) ? error.code : "INTERNAL";
    // The backlog first: the cycle's record (what `status` shows) carries it.
    const backlog = isSharebridgeError(error) ? error.context["backlog"] : undefined;
    if (typeof backlog === "number") this.#backlog = backlog;
    this.#finishCycle(started, outcomeOf(code), describe(error));
    if (RECEIVER_CODES.has(code)) {
      void this.#closeSession();
      this.#wait("waiting-for-receiver", `the receiver to answer (${describe(error)})`);
      return 1000;
    }
    if (code === "CLOCK_UNSYNCHRONISED") {
      this.#hostSync = undefined;
      this.#wait("waiting-for-clock", "a synchronised clock (host NTP, or Share's server time)");
      return CLOCK_RETRY_MS;
    }
    if (code.startsWith("SHARE_")) {
      this.#shareErrors[code] = (this.#shareErrors[code] ?? 0) + 1;
      if (code === "SHARE_CREDENTIALS" || code === "SHARE_LOCKED_OUT") return 0; // #shareBlocked explains
      if (code === "SHARE_ASSIGNMENT") {
        this.#wait("waiting-for-operator", `the Share account's receiver assignment (${describe(error)})`);
        return ASSIGNMENT_RETRY_MS;
      }
      const waitMs = backoffMs(this.#shareFailures++, SHARE_BACKOFF.minMs, SHARE_BACKOFF.maxMs, this.#random);
      this.#wait(
        "waiting-for-share",
        `Share to answer (${describe(error)}); retrying in ${Math.round(waitMs / 1000)} s`,
      );
      return waitMs;
    }
    if (code === "STATE_WRITE_FAILED" || code === "STATE_PERMISSION") {
      this.#wait("waiting-for-operator", `space or permission to save state (${describe(error)})`);
      return this.#o.readingIntervalSeconds * 1000;
    }
    this.#o.log.error({ err: error }, "unexpected failure in a sync cycle");
    this.#wait("idle", undefined);
    return MINUTE;
  }

  #finishCycle(started: number, outcome: string, error?: string): void {
    const atMs = this.#clock.now();
    this.#count(outcome);
    this.#lastCycle = {
      atMs,
      outcome,
      durationMs: atMs - started,
      ...(error === undefined ? {} : { error }),
    };
    const lastCycle = { atMs, outcome, error, backlog: this.#backlog };
    this.#lastCycleWrite = this.#o.store.update((state) => ({ ...state, lastCycle })).catch(() => undefined);
  }

  #count(outcome: string): void {
    this.#cycles[outcome] = (this.#cycles[outcome] ?? 0) + 1;
  }

  /** Logs what the daemon waits for, once per change. */
  #wait(phase: DaemonPhase, waitingFor: string | undefined): void {
    if (phase !== this.#phase || waitingFor !== this.#waitingFor) {
      if (waitingFor !== undefined) this.#o.log.warn({ phase }, `waiting for ${waitingFor}`);
      else if (this.#waitingFor !== undefined) this.#o.log.info("back to normal");
    }
    this.#phase = phase;
    this.#waitingFor = waitingFor;
  }

  async #trueClock() {
    const now = this.#clock.now();
    if (this.#hostSync === undefined || now - this.#hostSync.atMs > HOST_SYNC_CACHE_MS) {
      this.#hostSync = { value: await this.#o.hostSync(), atMs: now };
    }
    const client = this.#o.share.client;
    const resolved: ResolvedTrueClock = await resolveTrueClock({
      hostSync: this.#hostSync.value,
      reference: async () => {
        const t = await client.serverTime();
        return {
          utcMs: t.serverUtcMs,
          sentAtMs: t.sentAtMs,
          receivedAtMs: t.receivedAtMs,
          source: "share SystemUtcTime",
        };
      },
    });
    if (resolved.referenceError !== undefined) {
      this.#o.log.debug(
        { reason: resolved.referenceError },
        "Share's server time could not serve as a clock",
      );
    }
    return resolved.clock;
  }

  /** Readings can stop for hours (no sensor); check the remote monitoring session now and then. */
  async #keepMonitoringAlive(serial: string, signal: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    if (now - this.#lastMonitoringCheckMs < MONITORING_CHECK_MS) return;
    this.#lastMonitoringCheckMs = now;
    try {
      const client = this.#o.share.client;
      if (!(await client.isMonitoringActive(signal))) {
        await client.startMonitoring(serial, signal);
        this.#o.log.info("remote monitoring session restarted");
      }
    } catch (error) {
      this.#o.log.debug({ err: error }, "could not check the remote monitoring session");
    }
  }

  #linkErrors(): Record<string, number> {
    const out: Record<string, number> = { ...this.#linkTotals };
    const stats = this.#session?.stats;
    if (stats !== undefined) {
      for (const key of ["timeouts", "badCrc", "naks", "disconnects", "reopens", "retries"] as const) {
        out[key] = (out[key] ?? 0) + stats[key];
      }
    }
    return out;
  }

  async #closeSession(): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    this.#session = undefined;
    for (const key of ["timeouts", "badCrc", "naks", "disconnects", "reopens", "retries"] as const) {
      this.#linkTotals[key] = (this.#linkTotals[key] ?? 0) + session.stats[key];
    }
    await session.close().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  if (isSharebridgeError(error)) return (error as SharebridgeError).message;
  return error instanceof Error ? error.message : String(error);
}

function outcomeOf(code: string): string {
  if (RECEIVER_CODES.has(code)) return "receiver-error";
  if (code === "CLOCK_UNSYNCHRONISED") return "waiting-for-clock";
  if (code.startsWith("SHARE_")) return "share-error";
  if (code === "STATE_WRITE_FAILED" || code === "STATE_PERMISSION") return "state-error";
  return "error";
}
