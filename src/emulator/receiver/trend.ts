/**
 * How the emulator chooses an EGV's trend arrow (spec receiver-protocol §5.1): from the rate of
 * change over about 15 minutes, with the usual CGM thresholds of 1, 2 and 3 mg/dL/min.
 *
 * The rule is exact and exported so that tests can recompute every arrow from the stored records:
 * - the reference is the latest earlier measured reading (not display-only) whose system time
 *   is 10–20 minutes before the current one, the one closest to 15 minutes (ties: the later);
 * - rate = (value − reference value) / minutes between them;
 * - no reference, or a current value that is not measured (LOW/HIGH markers, specials;
 *   records/glucose.ts `isMeasuredGlucose`) → NotComputable.
 */
import { isMeasuredGlucose } from "../../records/glucose.js";
import { TREND } from "../../records/trend.js";

export const TREND_REFERENCE_MIN_SECONDS = 600;
export const TREND_REFERENCE_MAX_SECONDS = 1200;
export const TREND_REFERENCE_TARGET_SECONDS = 900;

/** mg/dL/min → arrow. Thresholds are inclusive on the steeper side. */
export function trendFromRate(rate: number): number {
  if (!Number.isFinite(rate)) return TREND.NotComputable;
  if (Math.abs(rate) > 8) return TREND.RateOutOfRange;
  if (rate >= 3) return TREND.DoubleUp;
  if (rate >= 2) return TREND.SingleUp;
  if (rate >= 1) return TREND.FortyFiveUp;
  if (rate > -1) return TREND.Flat;
  if (rate > -2) return TREND.FortyFiveDown;
  if (rate > -3) return TREND.SingleDown;
  return TREND.DoubleDown;
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
  if (!isMeasuredGlucose(glucose)) return undefined;
  let best: Reading | undefined;
  for (let i = earlier.length - 1; i >= 0; i--) {
    const r = earlier[i] as Reading;
    const age = systemSeconds - r.systemSeconds;
    if (age > TREND_REFERENCE_MAX_SECONDS) break;
    if (age < TREND_REFERENCE_MIN_SECONDS || r.displayOnly || !isMeasuredGlucose(r.glucose)) continue;
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
