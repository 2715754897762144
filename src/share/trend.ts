/**
 * Trend arrows: an ordinal 0..9 on upload and in reads before December 2021, a name in reads since
 * (share-api §10.1). Readers accept both, names case-insensitively, ignoring spaces and underscores.
 */

import { TREND_NAMES, type TrendName } from "../records/trend.js";

/** Names by ordinal, exactly as the modern read response spells them (share-api §10.1). */
export { TREND_NAMES, type TrendName };

const BY_FOLDED_NAME: ReadonlyMap<string, number> = new Map(
  TREND_NAMES.map((name, ordinal) => [fold(name), ordinal]),
);

function fold(name: string): string {
  return name.replace(/[\s_]/g, "").toLowerCase();
}

export function isTrendOrdinal(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 9;
}

/** The ordinal for a number or a name as found in read responses; `undefined` if neither. */
export function parseTrend(value: unknown): number | undefined {
  if (isTrendOrdinal(value)) return value;
  if (typeof value === "string" && value.length <= 32) {
    // Old read responses could carry the ordinal as a numeric string; tolerate it.
    if (/^\d$/.test(value)) return Number(value);
    return BY_FOLDED_NAME.get(fold(value));
  }
  return undefined;
}

export function trendName(ordinal: number): TrendName {
  return TREND_NAMES[ordinal] ?? "None";
}
