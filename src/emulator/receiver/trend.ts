/**
 * How the emulator chooses an EGV's trend arrow (spec receiver-protocol §5.1): from the rate of
 * change over about 15 minutes, with the usual CGM thresholds of 1, 2 and 3 mg/dL/min.
 *
 * The rule is exact and exported so that tests can recompute every arrow from the stored records:
 * - the reference is the latest earlier reading (not display-only, value 40–400) whose system time
 *   is 10–20 minutes before the current one, the one closest to 15 minutes (ties: the later);
 * - rate = (value − reference value) / minutes between them;
 * - no reference, or a current value outside 40–400 (LOW/HIGH markers, specials) → NOT_COMPUTABLE.
 */
import { Trend } from "./model.js";

export const TREND_REFERENCE_MIN_SECONDS = 600;
export const TREND_REFERENCE_MAX_SECONDS = 1200;
export const TREND_REFERENCE_TARGET_SECONDS = 900;

/** mg/dL/min → arrow. Thresholds are inclusive on the steeper side. */
export function trendFromRate(rate: number): number {
  if (!Number.isFinite(rate)) return Trend.NOT_COMPUTABLE;
  if (Math.abs(rate) > 8) return Trend.OUT_OF_RANGE;
  if (rate >= 3) return Trend.DOUBLE_UP;
  if (rate >= 2) return Trend.SINGLE_UP;
  if (rate >= 1) return Trend.FORTY_FIVE_UP;
  if (rate > -1) return Trend.FLAT;
  if (rate > -2) return Trend.FORTY_FIVE_DOWN;
  if (rate > -3) return Trend.SINGLE_DOWN;
  return Trend.DOUBLE_DOWN;
}

export function isNumericReading(glucose: number): boolean {
  return glucose >= 40 && glucose <= 400;
}

interface Reading {
  readonly systemSeconds: number;
  readonly glucose: number;
  readonly displayOnly: boolean;
}

/**
 * The rate (mg/dL/min) for a reading of `glucose` at `systemSeconds`, given earlier readings in
 * write order (the newest last), or undefined when the rule above finds no reference.
 */
export function rateOfChange(
  earlier: readonly Reading[],
  systemSeconds: number,
  glucose: number,
): number | undefined {
  if (!isNumericReading(glucose)) return undefined;
  let best: Reading | undefined;
  for (let i = earlier.length - 1; i >= 0; i--) {
    const r = earlier[i] as Reading;
    const age = systemSeconds - r.systemSeconds;
    if (age > TREND_REFERENCE_MAX_SECONDS) break;
    if (age < TREND_REFERENCE_MIN_SECONDS || r.displayOnly || !isNumericReading(r.glucose)) continue;
    if (
      best === undefined ||
      Math.abs(age - TREND_REFERENCE_TARGET_SECONDS) <
        Math.abs(systemSeconds - best.systemSeconds - TREND_REFERENCE_TARGET_SECONDS)
    ) {
      best = r;
    }
  }
  if (best === undefined) return undefined;
  return ((glucose - best.glucose) * 60) / (systemSeconds - best.systemSeconds);
}
