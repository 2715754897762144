/** A daemon snapshot for metrics and health tests: healthy, one minute after a successful cycle. */
import type { DaemonSnapshot } from "../../../src/sync/daemon-status.js";

export const T = Date.UTC(2026, 4, 2, 12, 0, 0);

export function healthySnapshot(change: Partial<DaemonSnapshot> = {}): DaemonSnapshot {
  return {
    startedAtMs: T - 3_600_000,
    nowMs: T,
    phase: "idle",
    waitingFor: undefined,
    serial: "SM12345678",
    readingIntervalSeconds: 300,
    lastCycle: { atMs: T - 60_000, outcome: "posted", durationMs: 850 },
    lastSuccessAtMs: T - 60_000,
    lastReading: { index: 4711, systemSeconds: 500_000_000, utcMs: T - 125_500, glucose: 123, trend: 4 },
    lastPostUtcMs: T - 59_000,
    backlog: 0,
    held: 0,
    quarantined: 1,
    skipped: { special: 3, "unrepresentable-time": 1 },
    clockOffsetSeconds: -1234,
    cycles: { posted: 12, "nothing-new": 3 },
    probes: 7,
    linkErrors: { timeouts: 2, badCrc: 1 },
    shareErrors: { SHARE_UNAVAILABLE: 4 },
    nextWakeAtMs: T + 200_000,
    ...change,
  };
}
