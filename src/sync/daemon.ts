/**
 * The daemon (`sharebridge run`, DESIGN.md §7):
 *
 *        ┌──────────────────────────────────────────────────────────────────────────────┐
 *        ▼                                                                              │
 *   receiver connected? ──no──► open it (auto: discover again) ──fails──► wait 2 s ─────┤
 *        │ yes                                                                          │
 *   Share blocked by the operator's account state? ──yes──► check for the operator ─────┤
 *        │ no                                                                           │
 *   probing for the next reading (schedule.ts)? ──not there yet──► probe again soon ──┤
 *        │ there, or not probing                                                        │
 *   one cycle (cycle.ts) ──ok──► sleep until just before the next reading is due ───────┤
 *        │ failed                                                                       │
 *        └─► failure-policy.ts: reconnect │ wait for the clock │ back off from Share ───┘
 *
 * The loop and its watchdog are scheduler.ts; the counters daemon-metrics.ts; this file ties them to
 * the receiver connection and the Share account. It never exits on a failure of the receiver, the
 * clock or Share: it says what it waits for (`snapshot().waitingFor`, logged once per change) and
 * catches up when things return. It stops when its signal aborts (SIGTERM/SIGINT: the step in flight
 * is abandoned, state is already saved after every acknowledged batch, the port is closed), and
 * through `onStall` when its own loop stops moving, so that systemd restarts it.
 */
import { isReceiverFailure, isSharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import type { LoginBreakerState } from "../share/login-breaker.js";
import { SHARE_SINK_NAME } from "../sinks/share-sink.js";
import type { Sink } from "../sinks/sink.js";
import type { TrueClockSource } from "../time/true-clock-source.js";
import { BatteryWatch } from "./battery-watch.js";
import { type CycleSettings, runCycle } from "./cycle.js";
import { DaemonMetrics } from "./daemon-metrics.js";
import type { DaemonPhase, DaemonSnapshot, ShareLogin } from "./daemon-status.js";
import { decideOnFailure } from "./failure-policy.js";
import { newRecordStored } from "./new-record-probe.js";
import type { ShareReadBack } from "./offset-recovery.js";
import type { OpenReceiverSession } from "./receiver-session.js";
import { nextWake } from "./schedule.js";
import { type DaemonClock, realDaemonClock, runLoop } from "./scheduler.js";
import type { ShareAccess } from "./share-access.js";
import { type SyncState, serialKey, withLastCycle } from "./state.js";
import type { StateStore } from "./state-store.js";

export type { DaemonClock } from "./scheduler.js";

export interface DaemonOptions {
  readonly settings: CycleSettings;
  readonly store: StateStore<SyncState>;
  /**
   * Opens the receiver (with `auto`, finds it again each time). `signal` is the daemon's: when it
   * aborts, every request of the session ends at once, whatever the link is waiting for.
   */
  readonly openReceiver: (signal: AbortSignal) => Promise<OpenReceiverSession>;
  readonly share: ShareAccess;
  /** Where readings go; Share first. */
  readonly sinks: readonly Sink[];
  readonly trueClock: TrueClockSource;
  /** Share's read-back, for a first run without a held clock offset (offset-recovery.ts). */
  readonly readBack?: ShareReadBack | undefined;
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
const OPERATOR_RECHECK_MS = MINUTE;
const MONITORING_CHECK_MS = 60 * MINUTE;
const EGV_DATA = 4;

/** Checks for the next reading around its due time (schedule.ts, new-record-probe.ts). */
interface Probing {
  readonly untilMs: number;
  readonly intervalMs: number;
  /** The newest EGV index the last cycle knew. */
  readonly lastIndex: number;
}

export class Daemon {
  readonly #o: DaemonOptions;
  readonly #clock: DaemonClock;
  readonly #random: () => number;
  readonly #startedAtMs: number;
  readonly #metrics = new DaemonMetrics();
  readonly #battery = new BatteryWatch();
  #session: OpenReceiverSession | undefined;
  #phase: DaemonPhase = "starting";
  #waitingFor: string | undefined;
  #lastCycle: DaemonSnapshot["lastCycle"];
  #lastSuccessAtMs: number | undefined;
  #backlog = 0;
  #held = 0;
  #quarantined = 0;
  #nextWakeAtMs: number | undefined;
  #shareFailures = 0;
  #probing: Probing | undefined;
  #lastMonitoringCheckMs = Number.NEGATIVE_INFINITY;
  /** The last cycle's record being written (not awaited by the loop; awaited before `run` returns). */
  #lastCycleWrite: Promise<unknown> = Promise.resolve();

  constructor(options: DaemonOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realDaemonClock;
    this.#random = options.random ?? Math.random;
    this.#startedAtMs = this.#clock.now();
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
      readingIntervalSeconds: this.#o.settings.readingIntervalSeconds,
      lastCycle: this.#lastCycle,
      lastSuccessAtMs: this.#lastSuccessAtMs,
      lastReading: receiver?.lastReading,
      lastPostUtcMs: receiver?.sinks?.[SHARE_SINK_NAME]?.lastDeliveredUtcMs,
      backlog: this.#backlog,
      held: this.#held,
      quarantined: this.#quarantined,
      skipped: this.#metrics.skipped(),
      clockOffsetSeconds: receiver?.heldOffset?.offsetSeconds,
      cycles: this.#metrics.cycles(),
      probes: this.#metrics.probes(),
      linkErrors: this.#metrics.linkErrors(this.#session?.stats),
      shareErrors: this.#metrics.shareErrors(),
      nextWakeAtMs: this.#nextWakeAtMs,
      battery: this.#battery.current(serial),
      shareLogin: shareLogin(this.#o.share.loginState),
    };
  }

  /** Runs until `signal` aborts. Never rejects for receiver, clock or Share trouble. */
  async run(signal: AbortSignal): Promise<void> {
    const { settings, log } = this.#o;
    log.info(
      {
        readingIntervalSeconds: settings.readingIntervalSeconds,
        backfillHours: settings.backfillHours,
        mode: settings.mode,
      },
      "sharebridge daemon started",
    );
    try {
      await runLoop((s) => this.#step(s), signal, {
        clock: this.#clock,
        stallMs: this.#o.stallMs ?? Math.max(15 * MINUTE, 3 * settings.readingIntervalSeconds * 1000),
        onStall: this.#o.onStall,
        onSleep: (wakeAtMs) => {
          this.#nextWakeAtMs = wakeAtMs;
        },
        log,
      });
    } finally {
      this.#phase = "stopping";
      await this.#closeSession();
      await this.#o.share.persist().catch(() => undefined);
      // Stopped means settled: no write of ours may land on the state file after `run` returned.
      await this.#lastCycleWrite;
      log.info("sharebridge daemon stopped");
    }
  }

  /** One turn of the loop; returns how long to sleep. */
  async #step(signal: AbortSignal): Promise<number> {
    const session = this.#session ?? (await this.#connect(signal));
    if (session === undefined) return this.#o.devicePollMs ?? 2000;
    const blocked = await this.#shareBlocked();
    if (blocked !== undefined) return blocked;
    const probeAgainInMs = await this.#probe(session);
    if (probeAgainInMs !== undefined) return probeAgainInMs;

    this.#phase = "syncing";
    const started = this.#clock.now();
    try {
      const report = await runCycle(
        {
          session,
          store: this.#o.store,
          sinks: this.#o.sinks,
          trueClock: (s) => this.#o.trueClock.get(s),
          clock: this.#clock,
          readBack: this.#o.readBack,
          log: this.#o.log,
        },
        { ...this.#o.settings, signal },
      );
      this.#shareFailures = 0;
      this.#backlog = report.backlog;
      this.#held = report.held;
      this.#quarantined = report.quarantined;
      this.#metrics.countSkipped(report.skipped);
      // Share called readings future: our clock may be wrong; ask the host again next cycle (§18.5).
      if (report.clockSuspect) this.#o.trueClock.invalidate();
      this.#lastSuccessAtMs = this.#clock.now();
      this.#finishCycle(started, report.outcome);
      if (report.posted > 0)
        this.#o.log.info({ posted: report.posted, serial: report.serial }, "readings posted");
      await this.#o.share.persist();
      await this.#battery.check(report.serial, session.receiver, this.#clock.now());
      await this.#keepMonitoringAlive(report.serial, signal);
      this.#wait("idle", undefined);
      const now = this.#clock.now();
      const wake = nextWake({
        nowMs: now,
        lastReadingUtcMs: report.lastReading?.utcMs,
        readingIntervalSeconds: this.#o.settings.readingIntervalSeconds,
      });
      this.#probing =
        wake.probeUntilMs === undefined || report.newestIndex === undefined
          ? undefined
          : { untilMs: wake.probeUntilMs, intervalMs: wake.probeIntervalMs, lastIndex: report.newestIndex };
      return Math.max(0, wake.atMs - now);
    } catch (error) {
      if (signal.aborted) return 0;
      await this.#o.share.persist().catch(() => undefined);
      // Share or the clock failed, the receiver answered: its battery can still be read.
      if (!isReceiverFailure(error))
        await this.#battery.check(session.serial, session.receiver, this.#clock.now());
      return this.#failed(started, error);
    }
  }

  /**
   * While probing: one round trip to see whether the next reading is stored. Returns how long to
   * wait before probing again, or undefined to run a cycle now (it is there, the burst is over, or the
   * probe failed: the cycle then reports properly what is wrong).
   */
  async #probe(session: OpenReceiverSession): Promise<number | undefined> {
    const probing = this.#probing;
    this.#probing = undefined;
    if (probing === undefined) return undefined;
    const now = this.#clock.now();
    if (now >= probing.untilMs) return undefined;
    this.#metrics.countProbe();
    const stored = await newRecordStored(session.receiver, session.reader, EGV_DATA, probing.lastIndex).catch(
      () => true,
    );
    if (stored) return undefined;
    this.#probing = probing;
    return Math.min(probing.intervalMs, probing.untilMs - now);
  }

  async #connect(signal: AbortSignal): Promise<OpenReceiverSession | undefined> {
    try {
      const session = await this.#o.openReceiver(signal);
      this.#session = session;
      this.#o.log.info({ device: session.description, serial: session.serial }, "receiver connected");
      const last = this.#o.store.current.lastSerial;
      if (last !== undefined && serialKey(last) !== serialKey(session.serial)) {
        this.#o.log.warn({ previous: last, serial: session.serial }, "a different receiver is connected");
      }
      return session;
    } catch (error) {
      if (signal.aborted) return undefined;
      this.#wait("waiting-for-receiver", `a receiver (${describe(error)})`);
      this.#metrics.countCycle("receiver-unavailable");
      return undefined;
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
      this.#metrics.countCycle("credentials-refused");
      return OPERATOR_RECHECK_MS;
    }
    if (login.state === "locked-out") {
      this.#wait(
        "waiting-for-share",
        `Share's login lockout to end at ${new Date(login.untilMs).toISOString()}`,
      );
      this.#metrics.countCycle("locked-out");
      return Math.max(1000, Math.min(login.untilMs - this.#clock.now(), 10 * MINUTE));
    }
    return undefined;
  }

  #failed(started: number, error: unknown): number {
    const decision = decideOnFailure(error, {
      shareFailures: this.#shareFailures,
      readingIntervalSeconds: this.#o.settings.readingIntervalSeconds,
      jitter: this.#random(),
    });
    // The backlog first: the cycle's record (what `status` shows) carries it.
    const backlog = isSharebridgeError(error) ? error.context["backlog"] : undefined;
    if (typeof backlog === "number") this.#backlog = backlog;
    this.#finishCycle(started, decision.outcome, describe(error));
    this.#shareFailures = decision.shareFailures;
    if (decision.shareCode !== undefined) this.#metrics.countShareError(decision.shareCode);
    this.#probing = undefined;
    if (decision.reconnect) void this.#closeSession();
    if (decision.recheckClock) this.#o.trueClock.invalidate();
    if (decision.outcome === "error") this.#o.log.error({ err: error }, "unexpected failure in a sync cycle");
    if (decision.announce) this.#wait(decision.phase, decision.waitingFor);
    return decision.waitMs;
  }

  #finishCycle(started: number, outcome: string, error?: string): void {
    const atMs = this.#clock.now();
    this.#metrics.countCycle(outcome);
    this.#lastCycle = {
      atMs,
      outcome,
      durationMs: atMs - started,
      ...(error === undefined ? {} : { error }),
    };
    const lastCycle = { atMs, outcome, error, backlog: this.#backlog };
    this.#lastCycleWrite = this.#o.store
      .update((state) => withLastCycle(state, lastCycle))
      .catch(() => undefined);
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

  async #closeSession(): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    this.#session = undefined;
    this.#metrics.closeLink(session.stats);
    await session.close().catch(() => undefined);
  }
}

function shareLogin(login: LoginBreakerState): ShareLogin {
  return {
    state: login.state,
    sinceMs: login.sinceMs,
    untilMs: login.state === "locked-out" ? login.untilMs : undefined,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
