/**
 * When the daemon wakes next (DESIGN.md §7): around the moment the receiver's next reading is due,
 * computed from the receiver's own timestamps, not on a blind fixed interval; and how long it backs
 * off while the receiver or Share is unavailable.
 *
 * Freshness: the receiver stores a reading about every 5 minutes, and the daemon knows when the next
 * one is due to within a second or two (the receiver's clock counts whole seconds, and the held
 * offset may be a second off). So it wakes shortly before the reading is due and checks cheaply —
 * one receiver round trip (new-record-probe.ts) — every half second until the reading is there,
 * then runs a cycle at once. A reading reaches Share well within a couple of seconds of being stored,
 * for a few extra round trips per reading instead of a 5-second margin.
 *
 *   reading due ─────────────────────────┐
 *   ··········[ probe · probe · probe · probe ··· ]  cycle as soon as a probe sees it
 *             due − 1 s        every 0.5 s    due + 6 s: then a cycle every 10 s while it is late
 *
 * The margins are those of the receivers' 300 s cadence from a 30 s cadence up; a shorter cadence
 * (the demo, tests) shrinks them in proportion.
 */

/**
 * The probe burst at the receivers' own cadence: starts this long before the reading is due. The due
 * time comes from the held offset, the rounded measurement of a whole-second clock, which puts it at
 * the instant the reading is stored or up to a second after it (time/held-offset.ts).
 */
export const PROBE_LEAD_MS = 1000;
/** …probes this often… */
export const PROBE_INTERVAL_MS = 500;
/** …and stops this long after the reading was due (a cycle every tenth of an interval follows). */
export const PROBE_TAIL_MS = 6000;
/** A cadence from which the margins above apply unscaled, ms. */
const FULL_MARGINS_FROM_MS = 30_000;
/** While a reading is overdue by less than this, look again soon: it is most likely only late. */
export const SOON_WINDOW_SECONDS = 120;

export interface WakeInput {
  readonly nowMs: number;
  /** True time of the newest reading on the receiver, ms (undefined before the first). */
  readonly lastReadingUtcMs: number | undefined;
  readonly readingIntervalSeconds: number;
}

export interface Wake {
  /** When to wake. */
  readonly atMs: number;
  /** Until when to probe before running a cycle (undefined: run a cycle at `atMs`). */
  readonly probeUntilMs: number | undefined;
  /** How often to probe meanwhile, ms. */
  readonly probeIntervalMs: number;
}

/** The burst's margins at this cadence (see the module comment). */
export function probeMargins(readingIntervalSeconds: number) {
  const scale = Math.min(1, (readingIntervalSeconds * 1000) / FULL_MARGINS_FROM_MS);
  // Whole milliseconds, so that every wake-up is one.
  return {
    leadMs: Math.round(PROBE_LEAD_MS * scale),
    intervalMs: Math.round(PROBE_INTERVAL_MS * scale),
    tailMs: Math.round(PROBE_TAIL_MS * scale),
  };
}

/**
 * The next wake-up, for freshness (followers should see a reading within seconds):
 * - the next reading is due at lastReading + interval: probe from a little before it until a little
 *   after it (see the module comment), running a cycle as soon as it is there;
 * - it is overdue beyond the probes by less than two minutes: a cycle every tenth of an interval
 *   (10 s at the receivers' 5-minute cadence), since it is most likely only late;
 * - it is overdue for longer (sensor warm-up, signal loss, no sensor): a cycle every fifth of an
 *   interval (at most a minute), so a reading that does come is still picked up within a minute;
 * - never later than one interval from now (a reading stamped in the future, i.e. clock trouble,
 *   must not put the daemon to sleep for long).
 */
export function nextWake({ nowMs, lastReadingUtcMs, readingIntervalSeconds }: WakeInput): Wake {
  const intervalMs = readingIntervalSeconds * 1000;
  const margins = probeMargins(readingIntervalSeconds);
  const clamp = (ms: number, low: number, high: number) => Math.min(high, Math.max(low, ms));
  const cycleAt = (atMs: number): Wake => ({
    atMs,
    probeUntilMs: undefined,
    probeIntervalMs: margins.intervalMs,
  });
  const rarely = cycleAt(nowMs + clamp(intervalMs / 5, 250, 60_000));
  if (lastReadingUtcMs === undefined) return rarely;
  const dueMs = lastReadingUtcMs + intervalMs;
  const probeUntilMs = dueMs + margins.tailMs;
  // A reading stamped in the future (clock trouble) must not put the daemon to sleep for long.
  if (dueMs - margins.leadMs > nowMs + intervalMs) return cycleAt(nowMs + intervalMs);
  if (nowMs < dueMs - margins.leadMs) {
    return { atMs: dueMs - margins.leadMs, probeUntilMs, probeIntervalMs: margins.intervalMs };
  }
  if (nowMs < probeUntilMs) {
    return { atMs: nowMs + margins.intervalMs, probeUntilMs, probeIntervalMs: margins.intervalMs };
  }
  if (nowMs - dueMs < SOON_WINDOW_SECONDS * 1000) return cycleAt(nowMs + clamp(intervalMs / 10, 250, 10_000));
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
