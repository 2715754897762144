/**
 * EGV_DATA (4) and BACKFILLED_EGV_DATA (18) decoders (spec receiver-protocol §5.1). Type 18 uses the
 * layout of EGV records of the same revision.
 *
 *   G4 rev 1–3 (13 B)  0 u32 system  4 u32 display  8 u16 glucose word  10 u8 trend/noise  11 u16 CRC
 *   rev 4 (23 B)       … 8 u16 glucose word  10 u32 reading system time  14 u32 transmitter time
 *                      18 i8 filtered rate  19 u8 trend/noise  20 u8 algorithm state  21 u16 CRC
 *   rev 5 (25 B)       as rev 4, then 21 u16 predicted glucose word  23 u16 CRC
 *
 * This is the hot path: no allocation except the one record object, built by one function so that
 * every EGV record shares a hidden class.
 */
import { displayedGlucose, glucoseKind } from "../glucose.js";
import type { EgvRecord } from "../record-types.js";
import type { RecordDecoder } from "./decoder.js";

export const EGV_G4_LENGTH = 13;
export const EGV_REV4_LENGTH = 23;
export const EGV_REV5_LENGTH = 25;

const GLUCOSE_MASK = 0x03ff;
const GLUCOSE_FLAGS_MASK = 0xfc00;
const DISPLAY_ONLY = 0x8000;
const TREND_MASK = 0x0f;
const NOISE_MASK = 0x70;
const NOISE_SHIFT = 4;
/** Predicted-glucose value meaning "no prediction available" (§5.1, TP). */
const NO_PREDICTION = 13;
/** Predicted-glucose word bit 15 (§5.1, TP). */
const URGENT_LOW_SOON = 0x8000;

/** Documented special codes (§5.1; names as DR/EC give them). */
export const SPECIAL_GLUCOSE_NAMES: Readonly<Record<number, string>> = {
  0: "NONE",
  1: "SENSOR_NOT_ACTIVE",
  2: "MINIMAL_DEVIATION",
  3: "NO_ANTENNA",
  5: "SENSOR_NOT_CALIBRATED",
  6: "COUNTS_DEVIATION",
  9: "ABSOLUTE_DEVIATION",
  10: "POWER_DEVIATION",
  12: "BAD_RF",
};

/** Trend arrows (§5.1), Nightscout direction names. */
export const TREND_NAMES: readonly string[] = [
  "NONE",
  "DoubleUp",
  "SingleUp",
  "FortyFiveUp",
  "Flat",
  "FortyFiveDown",
  "SingleDown",
  "DoubleDown",
  "NOT COMPUTABLE",
  "RATE OUT OF RANGE",
];

/** Noise levels (§5.1). */
export const NOISE_NAMES: readonly string[] = [
  "None",
  "Clean",
  "Light",
  "Medium",
  "Heavy",
  "NotComputed",
  "Max",
];

/**
 * Whether a reading may be posted to Share (DESIGN.md §4): not display-only, and a reading (LOW and
 * HIGH included), not a special code or erased flash (records/glucose.ts, share-api §18.4).
 */
export function isPostableGlucose(record: EgvRecord): boolean {
  return !record.displayOnly && displayedGlucose(record.glucose) !== undefined;
}

function egv(
  recordType: number,
  index: number,
  systemSeconds: number,
  displaySeconds: number,
  word: number,
  trendNoise: number,
  readingSystemSeconds: number | null,
  transmitterSeconds: number | null,
  filteredRate: number | null,
  algorithmState: number | null,
  predictedWord: number | null,
): EgvRecord {
  const glucose = word & GLUCOSE_MASK;
  const predicted = predictedWord === null ? null : predictedWord & GLUCOSE_MASK;
  return {
    kind: "egv",
    recordType,
    index,
    systemSeconds,
    displaySeconds,
    glucose,
    glucoseFlags: word & GLUCOSE_FLAGS_MASK,
    displayOnly: (word & DISPLAY_ONLY) !== 0,
    special: glucoseKind(glucose) === "special" ? glucose : null,
    trend: trendNoise & TREND_MASK,
    noise: (trendNoise & NOISE_MASK) >> NOISE_SHIFT,
    readingSystemSeconds,
    transmitterSeconds,
    filteredRate,
    algorithmState,
    predictedGlucose: predicted === NO_PREDICTION ? null : predicted,
    urgentLowSoon: predictedWord === null ? null : (predictedWord & URGENT_LOW_SOON) !== 0,
  };
}

/** G4, revisions 1–3, 13 bytes. */
export const decodeEgvG4: RecordDecoder<EgvRecord> = (view, offset, recordType, index) =>
  egv(
    recordType,
    index,
    view.getUint32(offset, true),
    view.getUint32(offset + 4, true),
    view.getUint16(offset + 8, true),
    view.getUint8(offset + 10),
    null,
    null,
    null,
    null,
    null,
  );

/** G5 Mobile, revision 4, 23 bytes. */
export const decodeEgvRev4: RecordDecoder<EgvRecord> = (view, offset, recordType, index) =>
  egv(
    recordType,
    index,
    view.getUint32(offset, true),
    view.getUint32(offset + 4, true),
    view.getUint16(offset + 8, true),
    view.getUint8(offset + 19),
    view.getUint32(offset + 10, true),
    view.getUint32(offset + 14, true),
    view.getInt8(offset + 18),
    view.getUint8(offset + 20),
    null,
  );

/** Touchscreen G5/G6, revision 5, 25 bytes. */
export const decodeEgvRev5: RecordDecoder<EgvRecord> = (view, offset, recordType, index) =>
  egv(
    recordType,
    index,
    view.getUint32(offset, true),
    view.getUint32(offset + 4, true),
    view.getUint16(offset + 8, true),
    view.getUint8(offset + 19),
    view.getUint32(offset + 10, true),
    view.getUint32(offset + 14, true),
    view.getInt8(offset + 18),
    view.getUint8(offset + 20),
    view.getUint16(offset + 21, true),
  );
