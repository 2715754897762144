/**
 * What the 10-bit glucose field of an EGV record means (receiver-protocol §5.1; share-api §18.4,
 * which supersedes the older "below 39 is special" rule):
 *
 *      0 ─ 19   special codes (sensor states: 0–12 documented, 13–19 unknown): not a reading
 *     20 ─ 38   a LOW reading: the receiver shows "LOW", and it stands for 39
 *     39 ─ 401  a reading, mg/dL (39 is the LOW marker, 401 the HIGH marker)
 *    402 ─ 1022 a HIGH reading: the receiver shows "HIGH", and it stands for 401
 *   1023        erased flash (all ten bits set): not a reading
 *
 * A missed low is worse than a LOW marker, so everything from 20 up to 1022 is a reading.
 */

/** Documented special codes (receiver-protocol §5.1; names as DR/EC give them). */
export const SPECIAL_GLUCOSE = {
  NONE: 0,
  SENSOR_NOT_ACTIVE: 1,
  MINIMAL_DEVIATION: 2,
  NO_ANTENNA: 3,
  SENSOR_NOT_CALIBRATED: 5,
  COUNTS_DEVIATION: 6,
  ABSOLUTE_DEVIATION: 9,
  POWER_DEVIATION: 10,
  BAD_RF: 12,
} as const;

/** The receiver's LOW marker, mg/dL: the smallest value a reading stands for. */
export const GLUCOSE_LOW_MG_DL = 39;
/** The receiver's HIGH marker, mg/dL: the largest value a reading stands for. */
export const GLUCOSE_HIGH_MG_DL = 401;
/** Below this the field holds a special code, not a reading (share-api §18.4). */
export const SPECIAL_GLUCOSE_LIMIT = 20;
/** What erased flash reads as: the field's ten bits all set. */
export const ERASED_GLUCOSE = 0x3ff;

export type GlucoseKind = "special" | "low" | "reading" | "high" | "erased";

/** The kind of value the glucose field holds. */
export function glucoseKind(value: number): GlucoseKind {
  if (value < SPECIAL_GLUCOSE_LIMIT) return "special";
  if (value < GLUCOSE_LOW_MG_DL) return "low";
  if (value <= GLUCOSE_HIGH_MG_DL) return "reading";
  if (value < ERASED_GLUCOSE) return "high";
  return "erased";
}

/**
 * A reading strictly between the LOW and HIGH markers: a measured value, the only kind a rate of
 * change (and so a trend arrow) can be computed from.
 */
export function isMeasuredGlucose(value: number): boolean {
  return value > GLUCOSE_LOW_MG_DL && value < GLUCOSE_HIGH_MG_DL;
}

/**
 * The mg/dL value a stored glucose field stands for, as the receiver displays it: LOW readings are
 * 39, HIGH readings 401. Undefined for special codes and erased flash, which are not readings.
 */
export function displayedGlucose(value: number): number | undefined {
  switch (glucoseKind(value)) {
    case "low":
      return GLUCOSE_LOW_MG_DL;
    case "reading":
      return value;
    case "high":
      return GLUCOSE_HIGH_MG_DL;
    default:
      return undefined;
  }
}
