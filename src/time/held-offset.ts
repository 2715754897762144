/**
 * The held clock offset (DESIGN.md §5): true UTC − receiver system clock, in whole seconds, kept
 * from cycle to cycle and replaced only when a new measurement, in whole seconds, moves by more than
 * 2 s.
 *
 * Why hold it: Share de-duplicates readings by their ST second (share-api §14.2). A reading re-posted
 * after a crash must carry exactly the ST it had the first time; a freshly measured offset jitters by
 * a second or so (round-trip asymmetry, whole-second receiver clock), which would turn the re-post
 * into a second copy. A real change (the receiver's system clock was reset, or drifted past the
 * tolerance) still moves it.
 *
 * The value is plain data so that the sync's state store can persist it per receiver serial.
 */

export interface HeldOffset {
  /** True UTC − receiver system time, whole seconds. */
  readonly offsetSeconds: number;
  /** True UTC (ms) when this value was taken. */
  readonly sinceUtcMs: number;
}

/** A new measurement replaces the held value only beyond this distance (DESIGN.md §5). */
export const HOLD_TOLERANCE_SECONDS = 2;

export interface HeldOffsetUpdate {
  readonly held: HeldOffset;
  /** True when `held` is new (first measurement, or the offset moved beyond the tolerance). */
  readonly replaced: boolean;
  /** Measured (rounded) − previously held, whole seconds (0 on the first measurement). */
  readonly movedSeconds: number;
}

/**
 * Combines the held value with this cycle's measurement (fractional seconds). The measurement is
 * rounded to whole seconds when it is taken, so ST stays a whole second.
 */
export function updateHeldOffset(
  previous: HeldOffset | undefined,
  measuredOffsetSeconds: number,
  nowUtcMs: number,
  toleranceSeconds = HOLD_TOLERANCE_SECONDS,
): HeldOffsetUpdate {
  const fresh = { offsetSeconds: Math.round(measuredOffsetSeconds) + 0, sinceUtcMs: nowUtcMs }; // no −0
  if (previous === undefined) return { held: fresh, replaced: true, movedSeconds: 0 };
  // Compared in whole seconds: a measurement jittering by ±1 s spans at most 2 whole seconds, so
  // jitter alone can never move the held value; a change of 3 s or more does.
  const movedSeconds = fresh.offsetSeconds - previous.offsetSeconds;
  if (Math.abs(movedSeconds) > toleranceSeconds) return { held: fresh, replaced: true, movedSeconds };
  return { held: previous, replaced: false, movedSeconds };
}

/**
 * Reads a held offset back from persisted state; anything malformed gives undefined (the next cycle
 * measures a fresh one), never an exception.
 */
export function parseHeldOffset(value: unknown): HeldOffset | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { offsetSeconds, sinceUtcMs } = value as Record<string, unknown>;
  if (typeof offsetSeconds !== "number" || !Number.isSafeInteger(offsetSeconds)) return undefined;
  if (typeof sinceUtcMs !== "number" || !Number.isFinite(sinceUtcMs)) return undefined;
  return { offsetSeconds, sinceUtcMs };
}
