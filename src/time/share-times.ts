/**
 * Share's ST, DT and TA for one record (DESIGN.md §5; share-api §6.1–§6.3: the server derives the
 * wall time as WT = ST + TA × 1000).
 *
 *   corrected (default)  ST = epoch2009 + t + offset        true UTC, whole seconds
 *                        DT = epoch2009 + t + (display − system)
 *                        TA = 0
 *   raw                  ST = epoch2009 + t                 the receiver's own system clock
 *                        DT = epoch2009 + t + (display − system)
 *                        TA = offset                        the original uploader's form
 *
 * where t is the reading's time on the system clock and (display − system) is the display offset in
 * force when the record was written (spec §5.0), so a clock change inside the history (DST, travel)
 * moves DT of the records after it and nothing else. Both modes give the same WT.
 *
 * DT is the wearer's wall clock at the reading, written as if it were UTC — what the official app
 * sends (ST plus the phone's UTC offset, share-api §6.2) and what the 2015 uploader sent (the display
 * clock). The receiver's display clock is the wearer's wall clock, so DT is its reading in both modes.
 * DESIGN.md §5 writes corrected DT as ST + (display − system), which equals this only while the system
 * clock is right (offset 0); with a system clock months off (spec §6.1: 7 months in the EC fixtures)
 * it would put DT months away from the wall clock, so DT leaves the offset out:
 * ST + (display − system) − offset.
 *
 * The reading time t: rev ≥ 4 EGV records carry the reading's own system time at offset 10, which
 * differs from the record's SystemTime for backfilled readings (spec §6.2, §6.3: "for touchscreen
 * EGVs use the offset-10 reading time"). It is used when it is plausible — non-zero, not FFFFFFFF and
 * not after the record was written (plus one reading interval of slack); otherwise the record's
 * SystemTime is used. Every other record uses its SystemTime.
 */

import { RECEIVER_EPOCH_MS } from "./epoch.js";

export const TIME_MODES = ["corrected", "raw"] as const;
export type TimeMode = (typeof TIME_MODES)[number];

/** The clock fields of a record (an EgvRecord, MeterRecord, … fits). */
export interface RecordTimes {
  readonly systemSeconds: number;
  readonly displaySeconds: number;
  /** Rev ≥ 4 EGV reading time (system clock), null or absent otherwise. */
  readonly readingSystemSeconds?: number | null;
}

export interface ShareTimes {
  /** ST, Unix ms (whole seconds). */
  readonly stMs: number;
  /** DT, Unix ms: the wearer's wall clock written as if it were UTC. */
  readonly dtMs: number;
  /** TA, whole seconds. */
  readonly ta: number;
  /** WT = ST + TA × 1000: the true instant of the reading, Unix ms. */
  readonly wtMs: number;
}

/** How far the offset-10 reading time may lie after the record's SystemTime: one reading interval. */
export const READING_TIME_SLACK_SECONDS = 300;

/** The system-clock time the reading was taken (see the module comment). */
export function readingSystemSeconds(record: RecordTimes): number {
  const reading = record.readingSystemSeconds;
  if (
    reading === undefined ||
    reading === null ||
    reading === 0 ||
    reading === 0xffffffff ||
    reading > record.systemSeconds + READING_TIME_SLACK_SECONDS
  ) {
    return record.systemSeconds;
  }
  return reading;
}

/**
 * ST/DT/TA/WT of a record under a whole-second offset (true UTC − receiver system clock). A
 * fractional offset is rounded, so ST is always a whole second and both modes agree on WT.
 */
export function shareTimes(
  record: RecordTimes,
  offsetSeconds: number,
  mode: TimeMode = "corrected",
): ShareTimes {
  const offset = Math.round(offsetSeconds) + 0; // + 0 turns −0 into 0
  const t = readingSystemSeconds(record);
  const displayOffset = record.displaySeconds - record.systemSeconds;
  const wtMs = RECEIVER_EPOCH_MS + (t + offset) * 1000;
  if (mode === "raw") {
    const stMs = RECEIVER_EPOCH_MS + t * 1000;
    return { stMs, dtMs: stMs + displayOffset * 1000, ta: offset, wtMs };
  }
  return { stMs: wtMs, dtMs: RECEIVER_EPOCH_MS + (t + displayOffset) * 1000, ta: 0, wtMs };
}
