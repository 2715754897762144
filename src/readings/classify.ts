/**
 * From decoded EGV records to readings (DESIGN.md §4, §7): each record is stamped by the cycle's
 * clock and given its fate. The rules, in order:
 *
 *   display-only bit set                         → not posted ("display-only")
 *   special code or erased flash (glucose.ts)     → not posted ("special")
 *   after the receiver's own clock at the anchor  → not posted ("ahead-of-receiver-clock")
 *   times outside 2009–2100 (damaged record)      → not posted ("unrepresentable-time")
 *   true time before the backfill window          → not posted ("out-of-window")
 *   otherwise                                     → postable, glucose as displayed (LOW 39, HIGH 401)
 */
import { displayedGlucose } from "../records/glucose.js";
import type { EgvRecord } from "../records/record-types.js";
import type { CycleClock } from "../time/clock-model.js";
import { RECEIVER_EPOCH_MS } from "../time/epoch.js";
import type { Reading, SkipReason } from "./reading.js";

/** 2100-01-01T00:00:00Z: a later time is a damaged record, not a reading (share-api §6.1 dates). */
export const LATEST_READING_MS = Date.UTC(2100, 0, 1);

export interface ClassifyOptions {
  readonly clock: CycleClock;
  /** True time before which readings are outside the backfill window, ms. */
  readonly windowStartMs: number;
  /**
   * How far after the anchor the receiver's clock may have moved by now, seconds: a reading the
   * receiver writes while the cycle reads lies a second or so after the anchor, and is new.
   */
  readonly aheadAllowedSeconds: number;
}

const representable = (ms: number) =>
  Number.isFinite(ms) && ms >= RECEIVER_EPOCH_MS && ms < LATEST_READING_MS;

export function classify(record: EgvRecord, options: ClassifyOptions): Reading {
  const { clock } = options;
  const glucose = displayedGlucose(record.glucose);
  const stamped = clock.stamp(record);
  const times = [stamped.stMs, stamped.dtMs, stamped.wtMs].every(representable) ? stamped : undefined;
  let skip: SkipReason | undefined;
  if (record.displayOnly) skip = "display-only";
  else if (glucose === undefined) skip = "special";
  else if (clock.aheadOfAnchorSeconds(record) > options.aheadAllowedSeconds) skip = "ahead-of-receiver-clock";
  else if (times === undefined) skip = "unrepresentable-time";
  else if (times.wtMs < options.windowStartMs) skip = "out-of-window";
  return {
    recordType: record.recordType,
    index: record.index,
    systemSeconds: record.systemSeconds,
    storedGlucose: record.glucose,
    glucose,
    trend: record.trend,
    times,
    skip,
  };
}
