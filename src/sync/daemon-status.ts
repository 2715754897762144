/**
 * What the daemon knows about itself at a given instant: the one source for the health endpoint,
 * the Prometheus metrics and the daemon's own log lines. Plain data, no secrets.
 */
import type { LastReading } from "./state.js";

export const DAEMON_PHASES = [
  "starting",
  "syncing",
  "idle",
  "waiting-for-receiver",
  "waiting-for-clock",
  "waiting-for-share",
  "waiting-for-operator",
  "stopping",
] as const;
export type DaemonPhase = (typeof DAEMON_PHASES)[number];

export interface DaemonSnapshot {
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly phase: DaemonPhase;
  /** What the daemon waits for, in words (a receiver, a synchronised clock, Share, the operator). */
  readonly waitingFor: string | undefined;
  readonly serial: string | undefined;
  /** The receiver's reading cadence, seconds (health: a cycle must succeed within two of them). */
  readonly readingIntervalSeconds: number;
  readonly lastCycle:
    | {
        readonly atMs: number;
        readonly outcome: string;
        readonly durationMs: number;
        readonly error?: string;
      }
    | undefined;
  /** When a cycle last completed without error. */
  readonly lastSuccessAtMs: number | undefined;
  /** Newest reading seen on the receiver. */
  readonly lastReading: LastReading | undefined;
  /** When Share last acknowledged a post. */
  readonly lastPostUtcMs: number | undefined;
  /** Readings on the receiver, inside the backfill window, not yet acknowledged by Share. */
  readonly backlog: number;
  /** True UTC − receiver system clock, seconds (the held offset). */
  readonly clockOffsetSeconds: number | undefined;
  /** Cycles by outcome (posted, nothing-new, waiting-for-clock, receiver-error, share-error, …). */
  readonly cycles: Readonly<Record<string, number>>;
  /** Checks for the next reading around its due time (one receiver round trip each). */
  readonly probes: number;
  /** Link events by kind: timeouts, badCrc, naks, disconnects, reopens, retries. */
  readonly linkErrors: Readonly<Record<string, number>>;
  /** Share failures by error code (SHARE_UNAVAILABLE, SHARE_SESSION, …). */
  readonly shareErrors: Readonly<Record<string, number>>;
  readonly nextWakeAtMs: number | undefined;
  /** The receiver's battery, percent, when the daemon reads it (DaemonOptions.batteryEveryMs). */
  readonly batteryPercent?: number | undefined;
}

/** Healthy when the last successful cycle is less than two reading intervals old (issue: /healthz). */
export function isHealthy(snapshot: DaemonSnapshot): boolean {
  const limitMs = 2 * snapshot.readingIntervalSeconds * 1000;
  const since = snapshot.lastSuccessAtMs ?? snapshot.startedAtMs;
  // A fresh start gets one grace period to complete its first cycle.
  return snapshot.nowMs - since <= limitMs;
}
