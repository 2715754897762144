/**
 * A reading: one decoded EGV record with its true time (the clock model's stamp) and its fate — the
 * unit the sync engine hands to every sink (DESIGN.md §1: records → readings → sinks).
 *
 * Every decoded record after a sink's cursor becomes a reading, postable or not, so that a sink that
 * keeps history (a local archive) sees the skipped ones too, with the reason; the Share sink posts
 * only the postable ones. A reading never holds a secret.
 */
import type { ShareTimes } from "../time/share-times.js";

/** Why a reading is not posted (a reading with no skip reason is postable). */
export const SKIP_REASONS = [
  /** Superseded by a calibration (display-only bit, receiver-protocol §5.1). */
  "display-only",
  /** A sensor special code or erased flash, not a glucose value (records/glucose.ts). */
  "special",
  /** Older than the backfill window. */
  "out-of-window",
  /** Stamped after the receiver's own clock at the anchor: the clock was set back, its time is unknown. */
  "ahead-of-receiver-clock",
  /** Its times fall outside 2009–2100 (a damaged record): it cannot be sent to any sink that needs a time. */
  "unrepresentable-time",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface Reading {
  /** The partition it came from: 4 (EGV_DATA) or 18 (BACKFILLED_EGV_DATA). */
  readonly recordType: number;
  /** Global record index (its identity with the serial and record type, receiver-protocol §4.5). */
  readonly index: number;
  /** The record's SystemTime, receiver seconds (kept in a cursor to notice an erased database). */
  readonly systemSeconds: number;
  /** The glucose field as stored (mg/dL, or a special code). */
  readonly storedGlucose: number;
  /** What the value stands for, mg/dL (LOW 39, HIGH 401); undefined for a special code or erased flash. */
  readonly glucose: number | undefined;
  /** The receiver's trend code 0–9 (receiver-protocol §5.1), as stored. */
  readonly trend: number;
  /** ST / DT / TA / WT under the cycle's clock; undefined when they cannot be represented. */
  readonly times: ShareTimes | undefined;
  /** Undefined for a postable reading. */
  readonly skip: SkipReason | undefined;
}

/** A reading that may go to Share: a glucose value and times, no skip reason. */
export interface PostableReading extends Reading {
  readonly glucose: number;
  readonly times: ShareTimes;
  readonly skip: undefined;
}

export function isPostable(reading: Reading): reading is PostableReading {
  return reading.skip === undefined;
}
