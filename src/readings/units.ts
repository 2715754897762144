/**
 * Glucose as people read it: the unit (`display.units`), the target range and the words for low and
 * high. Used by the status page, `history`, `status` and the demo; the wire (Share, the archive)
 * always carries mg/dL.
 *
 * - mmol/L is mg/dL divided by 18.0156 (glucose's molar mass, 180.156 g/mol, over 10), shown with
 *   one decimal, as Dexcom's own displays do.
 * - The receiver's LOW and HIGH markers (39 and 401 mg/dL, records/glucose.ts) are not values: they
 *   are shown as the words "LOW" and "HIGH", never as 39 or 401.
 * - The target range is the international consensus's 70–180 mg/dL (3.9–10.0 mmol/L); below 54 is
 *   "urgent low" (its level-2 hypoglycaemia). A range of one's own is not configurable yet.
 */
import { GLUCOSE_HIGH_MG_DL, GLUCOSE_LOW_MG_DL } from "../records/glucose.js";

export const DISPLAY_UNITS = ["mg/dL", "mmol/L"] as const;
export type DisplayUnit = (typeof DISPLAY_UNITS)[number];

/** mg/dL per mmol/L (glucose, 180.156 g/mol). */
export const MG_DL_PER_MMOL_L = 18.0156;

/** The target range, mg/dL, inclusive. */
export const TARGET_LOW_MG_DL = 70;
export const TARGET_HIGH_MG_DL = 180;
/** Below this (mg/dL) a low is urgent (consensus level 2, < 3.0 mmol/L). */
export const URGENT_LOW_MG_DL = 54;

export function isDisplayUnit(value: unknown): value is DisplayUnit {
  return (DISPLAY_UNITS as readonly unknown[]).includes(value);
}

/** The value in `unit`: mg/dL as is (whole), mmol/L rounded to one decimal. */
export function inUnit(mgdl: number, unit: DisplayUnit): number {
  return unit === "mg/dL" ? Math.round(mgdl) : Math.round((mgdl / MG_DL_PER_MMOL_L) * 10) / 10;
}

/** The receiver's LOW or HIGH marker: not a number to show or subtract. */
export function isMarker(mgdl: number): boolean {
  return mgdl <= GLUCOSE_LOW_MG_DL || mgdl >= GLUCOSE_HIGH_MG_DL;
}

/** A value as text in `unit`: "123", "6.8"; the LOW and HIGH markers as "LOW" and "HIGH". */
export function glucoseText(mgdl: number, unit: DisplayUnit): string {
  if (mgdl <= GLUCOSE_LOW_MG_DL) return "LOW";
  if (mgdl >= GLUCOSE_HIGH_MG_DL) return "HIGH";
  return numberText(inUnit(mgdl, unit), unit);
}

/** A number already in `unit`, with its unit's precision: "123", "6.0". */
export function numberText(value: number, unit: DisplayUnit): string {
  return unit === "mg/dL" ? String(Math.round(value)) : value.toFixed(1);
}

/**
 * The change from `previousMgdl` to `mgdl`, as shown: the difference of the two values as displayed
 * (so 6.7 then 6.9 reads +0.2, never +0.1), signed ("+3", "−0.4", "±0"). Undefined when either is
 * a LOW or HIGH marker (no number to subtract).
 */
export function changeText(mgdl: number, previousMgdl: number, unit: DisplayUnit): string | undefined {
  if (isMarker(mgdl) || isMarker(previousMgdl)) return undefined;
  const delta = Math.round((inUnit(mgdl, unit) - inUnit(previousMgdl, unit)) * 10) / 10;
  if (delta === 0) return "±0";
  return `${delta > 0 ? "+" : "−"}${numberText(Math.abs(delta), unit)}`;
}

export type RangeWord = "urgent low" | "low" | "in range" | "high";

/** Where a value stands against the target range, in words (colour is never the only signal). */
export function rangeWord(mgdl: number): RangeWord {
  if (mgdl < URGENT_LOW_MG_DL) return "urgent low";
  if (mgdl < TARGET_LOW_MG_DL) return "low";
  if (mgdl <= TARGET_HIGH_MG_DL) return "in range";
  return "high";
}
