/**
 * Trend arrows: bits 0–3 of an EGV's trend/noise byte (receiver-protocol §5.1), named with the one
 * spelling sharebridge uses everywhere — the one Share's read API uses (share-api §10.1). The
 * receiver-side peers spell 0, 8 and 9 differently (NONE, NOT COMPUTABLE, RATE OUT OF RANGE); the
 * ordinals are the same.
 */

/** Names by ordinal. */
export const TREND_NAMES = [
  "None",
  "DoubleUp",
  "SingleUp",
  "FortyFiveUp",
  "Flat",
  "FortyFiveDown",
  "SingleDown",
  "DoubleDown",
  "NotComputable",
  "RateOutOfRange",
] as const;

export type TrendName = (typeof TREND_NAMES)[number];

/** Ordinals by name: `TREND.Flat` is 4. */
export const TREND = Object.fromEntries(TREND_NAMES.map((name, ordinal) => [name, ordinal])) as {
  readonly [K in TrendName]: number;
};

/** The name of a trend ordinal; "None" for anything outside 0–9. */
export function trendName(ordinal: number): TrendName {
  return TREND_NAMES[ordinal] ?? "None";
}
