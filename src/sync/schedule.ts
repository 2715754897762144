/**
 * When the daemon wakes next (DESIGN.md §7): shortly after the receiver's next reading is due, computed
 * from the receiver's own timestamps, not on a blind fixed interval; and how long it backs off while
 * the receiver or Share is unavailable.
 */

/** Seconds after a reading is due before reading it: the receiver stores it a moment late. */
export const DUE_MARGIN_SECONDS = 5;
/** While a reading is overdue by less than this, look again soon: it is most likely seconds late. */
export const SOON_WINDOW_SECONDS = 120;

export interface WakeInput {
  readonly nowMs: number;
  /** True time of the newest reading on the receiver, ms (undefined before the first). */
  readonly lastReadingUtcMs: number | undefined;
  readonly readingIntervalSeconds: number;
}

/**
 * The next wake-up, for freshness (followers should see a reading within seconds):
 * - the next reading is due at lastReading + interval: wake a few seconds after that;
 * - it is overdue by less than two minutes: look again every tenth of an interval (10 s at the
 *   receiver's 5-minute cadence), since it is most likely only late;
 * - it is overdue for longer (sensor warm-up, signal loss, no sensor): every fifth of an interval
 *   (at most a minute), so a reading that does come is still picked up within a minute;
 * - never later than one interval plus the margin from now (a reading stamped in the future, i.e.
 *   clock trouble, must not put the daemon to sleep for long).
 */
export function nextWakeMs({ nowMs, lastReadingUtcMs, readingIntervalSeconds }: WakeInput): number {
  const intervalMs = readingIntervalSeconds * 1000;
  const marginMs = Math.min(DUE_MARGIN_SECONDS * 1000, intervalMs / 10);
  const clamp = (ms: number, low: number, high: number) => Math.min(high, Math.max(low, ms));
  const rarely = nowMs + clamp(intervalMs / 5, 250, 60_000);
  if (lastReadingUtcMs === undefined) return rarely;
  const dueMs = lastReadingUtcMs + intervalMs;
  if (dueMs + marginMs > nowMs) return Math.min(dueMs + marginMs, nowMs + intervalMs + marginMs);
  if (nowMs - dueMs < SOON_WINDOW_SECONDS * 1000) return nowMs + clamp(intervalMs / 10, 250, 10_000);
  return rarely;
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
