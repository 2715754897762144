/**
 * Readings on their way to `Publisher/PostReceiverEgvRecords` (share-api §6).
 *
 * The client posts what the clock model produced: ST, DT and TA per reading, already decided
 * (DESIGN §5). This module only checks them, orders them oldest first and cuts them into posts of
 * at most 50 readings (share-api §6.4, §15 #12). TA belongs to a whole post, not to a reading, so a
 * change of TA also starts a new post.
 */
import { fail } from "../errors.js";
import { GLUCOSE_HIGH_MG_DL, GLUCOSE_LOW_MG_DL } from "../records/glucose.js";
import { isReceiverSerial } from "../records/serial.js";
import { RECEIVER_EPOCH_SECONDS } from "../wire/epoch.js";
import { formatShareDate } from "./dates.js";

/** One reading as the clock model hands it over. */
export interface ShareEgv {
  /** ST: the reading's system time as posted, epoch seconds (UTC in corrected mode). */
  readonly stSeconds: number;
  /** DT: the reading's display time, epoch seconds (the wearer's wall clock written as if UTC). */
  readonly dtSeconds: number;
  /** TA: seconds to add to ST to get true UTC; the server computes WT = ST + TA × 1000 ms (share-api §6.3). */
  readonly taSeconds: number;
  /**
   * mg/dL, 39..401 (share-api §18.4): what the receiver displays (records/glucose.ts
   * `displayedGlucose`: LOW is 39, HIGH is 401); special codes and erased flash are never readings.
   */
  readonly glucose: number;
  /** The receiver's trend code; Share is sent it only when it is 0..7, anything else as 0 (share-api §18.1). */
  readonly trend: number;
}

export interface EgvBatch {
  readonly taSeconds: number;
  /** Oldest first, 1 to 50 readings. */
  readonly readings: readonly ShareEgv[];
}

/** At most this many readings per post (share-api §6.4 recommendation). */
export const MAX_BATCH_SIZE = 50;

/** The highest trend Share's enum knows (DoubleDown); 8, 9 and anything else are posted as 0 (share-api §18.1). */
export const MAX_POSTED_TREND = 7;

/** 2009-01-01T00:00:00Z, the receiver epoch: no receiver clock can show an earlier time. */
const MIN_EPOCH_SECONDS = RECEIVER_EPOCH_SECONDS;
/** 2100-01-01T00:00:00Z: a later time is a bug upstream, not a reading. */
const MAX_EPOCH_SECONDS = 4_102_444_800;
/** A receiver clock that was never set can be years off; more than 50 years is a bug upstream. */
const MAX_ABS_TA_SECONDS = 50 * 366 * 86_400;

/** Receiver serials are short alphanumeric strings such as `SM12345678` (share-api §2, records/serial.ts). */
export function assertSerial(serial: string): void {
  if (!isReceiverSerial(serial)) {
    fail("SHARE_INPUT_INVALID", "the receiver serial must be 1 to 32 letters, digits or hyphens", {
      serial: String(serial).slice(0, 40),
    });
  }
}

/**
 * The serial as every Share call carries it: checked, then upper case (share-api §18.2). Receivers
 * store it in either case; the label, and every known-working uploader, use upper case.
 */
export function shareSerial(serial: string): string {
  assertSerial(serial);
  return serial.toUpperCase();
}

/** The trend as posted: 0..7 as is, anything else (8 NotComputable, 9 RateOutOfRange, garbage) 0 (share-api §18.1). */
export function postedTrend(trend: number): number {
  return Number.isInteger(trend) && trend >= 0 && trend <= MAX_POSTED_TREND ? trend : 0;
}

function check(ok: boolean, index: number, field: string, rule: string, value: unknown): void {
  if (!ok) {
    fail("SHARE_INPUT_INVALID", `reading ${index}: ${field} ${rule}`, { index, field, value: String(value) });
  }
}

export function assertEgv(egv: ShareEgv, index: number): void {
  const inEpoch = (v: number) => Number.isInteger(v) && v >= MIN_EPOCH_SECONDS && v < MAX_EPOCH_SECONDS;
  check(
    inEpoch(egv.stSeconds),
    index,
    "stSeconds",
    "must be whole epoch seconds between 2009 and 2100",
    egv.stSeconds,
  );
  check(
    inEpoch(egv.dtSeconds),
    index,
    "dtSeconds",
    "must be whole epoch seconds between 2009 and 2100",
    egv.dtSeconds,
  );
  check(
    Number.isInteger(egv.taSeconds) && Math.abs(egv.taSeconds) <= MAX_ABS_TA_SECONDS,
    index,
    "taSeconds",
    "must be whole seconds within ±50 years",
    egv.taSeconds,
  );
  check(
    Number.isInteger(egv.glucose) && egv.glucose >= GLUCOSE_LOW_MG_DL && egv.glucose <= GLUCOSE_HIGH_MG_DL,
    index,
    "glucose",
    `must be an integer in [${GLUCOSE_LOW_MG_DL}, ${GLUCOSE_HIGH_MG_DL}] mg/dL`,
    egv.glucose,
  );
}

/**
 * A reading from the clock model's output (`stMs`, `dtMs`, `ta`, as src/time produces them) plus
 * glucose and trend. Checked later like any other reading.
 */
export function shareEgv(
  times: { readonly stMs: number; readonly dtMs: number; readonly ta: number },
  glucose: number,
  trend: number,
): ShareEgv {
  return { stSeconds: times.stMs / 1000, dtSeconds: times.dtMs / 1000, taSeconds: times.ta, glucose, trend };
}

/** Validates every reading, orders them by ST (stable) and cuts them into posts. */
export function planBatches(readings: readonly ShareEgv[]): EgvBatch[] {
  readings.forEach(assertEgv);
  const ordered = readings
    .map((egv, index) => ({ egv, index }))
    .sort((a, b) => a.egv.stSeconds - b.egv.stSeconds || a.index - b.index)
    .map(({ egv }) => egv);
  const batches: EgvBatch[] = [];
  let current: ShareEgv[] = [];
  for (const egv of ordered) {
    const head = current[0];
    if (head !== undefined && (current.length === MAX_BATCH_SIZE || head.taSeconds !== egv.taSeconds)) {
      batches.push({ taSeconds: head.taSeconds, readings: current });
      current = [];
    }
    current.push(egv);
  }
  const head = current[0];
  if (head !== undefined) batches.push({ taSeconds: head.taSeconds, readings: current });
  return batches;
}

/**
 * The JSON body of one post (share-api §6.1): PascalCase keys, dates as `/Date(ms)/`, the serial in
 * upper case (§18.2) and the trend mapped to 0..7 (§18.1).
 */
export function postBody(serial: string, batch: EgvBatch): Record<string, unknown> {
  return {
    SN: shareSerial(serial),
    TA: batch.taSeconds,
    Egvs: batch.readings.map((egv) => ({
      ST: formatShareDate(egv.stSeconds),
      DT: formatShareDate(egv.dtSeconds),
      Value: egv.glucose,
      Trend: postedTrend(egv.trend),
    })),
  };
}
