/**
 * When the daemon wakes next (DESIGN.md §7): shortly after the receiver's next reading is due, computed
 * from the receiver's own timestamps, not on a blind fixed interval; and how long it backs off while
 * the receiver or Share is unavailable.
 */

/** Seconds after a reading is due before reading it: the receiver stores it a few seconds late. */
export const DUE_MARGIN_S = 20;

export interface WakeInput {
  readonly nowMs: number;
  /** True time of the newest reading on the receiver, ms (undefined before the first). */
  readonly lastReadingUtcMs: number | undefined;
  readonly readingIntervalS: number;
}

/**
 * The next wake-up: lastReading + interval + margin when that is still ahead; when the reading is
 * already overdue (sensor warm-up, signal loss), every fifth of an interval, so a late reading is
 * picked up within a minute; never later than one interval plus the margin from now.
 */
export function nextWakeMs({ nowMs, lastReadingUtcMs, readingIntervalS }: WakeInput): number {
  const intervalMs = readingIntervalS * 1000;
  const marginMs = Math.min(DUE_MARGIN_S * 1000, intervalMs / 4);
  const fallback = nowMs + Math.max(1000, Math.min(60_000, intervalMs / 5));
  if (lastReadingUtcMs === undefined) return fallback;
  let due = lastReadingUtcMs + intervalMs + marginMs;
  if (due <= nowMs) return fallback;
  // A reading stamped in the future (clock trouble) must not put the daemon to sleep for long.
  due = Math.min(due, nowMs + intervalMs + marginMs);
  return due;
}

/**
 * Exponential back-off with full jitter between `minMs` and `maxMs`: attempt 0 waits about `minMs`,
 * each further attempt doubles the ceiling; `random` in [0, 1) spreads waits so many bridges that lost
 * Share at the same moment do not return at the same moment.
 */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(minMs + (ceiling - minMs) * random());
}
