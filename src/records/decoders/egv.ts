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

/** Noise levels: bits 4–6 of the trend/noise byte (§5.1). */
export const NOISE = {
  NONE: 0,
  CLEAN: 1,
  LIGHT: 2,
  MEDIUM: 3,
  HEAVY: 4,
  NOT_COMPUTED: 5,
  MAX: 6,
} as const;

/**
 * Whether a reading may be posted to Share (DESIGN.md §4): not display-only, and a reading (LOW and
 * HIGH included), not a special code or erased flash (records/glucose.ts, share-api §18.4).
 */
export function isPostableGlucose(record: EgvRecord): boolean {
  return !record.displayOnly && displayedGlucose(record.glucose) !== undefined;
}

/** Where a layout keeps its fields: G4 (rev 1–3), rev 4, or rev 5 with the predicted-glucose word. */
const G4 = 0;
const REV4 = 1;
const REV5 = 2;

/** Builds the record from the layout's offsets: one function, so every EGV shares a hidden class. */
function egv(view: DataView, offset: number, recordType: number, index: number, layout: number): EgvRecord {
  const word = view.getUint16(offset + 8, true);
  const trendNoise = view.getUint8(offset + (layout === G4 ? 10 : 19));
  const extended = layout !== G4;
  const predictedWord = layout === REV5 ? view.getUint16(offset + 21, true) : null;
  const glucose = word & GLUCOSE_MASK;
  const predicted = predictedWord === null ? null : predictedWord & GLUCOSE_MASK;
  return {
    kind: "egv",
    recordType,
    index,
    systemSeconds: view.getUint32(offset, true),
    displaySeconds: view.getUint32(offset + 4, true),
    glucose,
    glucoseFlags: word & GLUCOSE_FLAGS_MASK,
    displayOnly: (word & DISPLAY_ONLY) !== 0,
    special: glucoseKind(glucose) === "special" ? glucose : null,
    trend: trendNoise & TREND_MASK,
    noise: (trendNoise & NOISE_MASK) >> NOISE_SHIFT,
    readingSystemSeconds: extended ? view.getUint32(offset + 10, true) : null,
    transmitterSeconds: extended ? view.getUint32(offset + 14, true) : null,
    filteredRate: extended ? view.getInt8(offset + 18) : null,
    algorithmState: extended ? view.getUint8(offset + 20) : null,
    predictedGlucose: predicted === NO_PREDICTION ? null : predicted,
    urgentLowSoon: predictedWord === null ? null : (predictedWord & URGENT_LOW_SOON) !== 0,
  };
}

/** G4, revisions 1–3, 13 bytes. */
export const decodeEgvG4: RecordDecoder<EgvRecord> = (view, offset, recordType, index) =>
  egv(view, offset, recordType, index, G4);

/** G5 Mobile, revision 4, 23 bytes. */
export const decodeEgvRev4: RecordDecoder<EgvRecord> = (view, offset, recordType, index) =>
  egv(view, offset, recordType, index, REV4);

/** Touchscreen G5/G6, revision 5, 25 bytes. */
export const decodeEgvRev5: RecordDecoder<EgvRecord> = (view, offset, recordType, index) =>
  egv(view, offset, recordType, index, REV5);
