/**
 * Parsing `Publisher/ReadPublisherLatestGlucoseValues` answers (share-api §7.2) tolerantly: dates
 * with or without slashes and with or without an offset, trend as a number or a name. An element
 * that still makes no sense is skipped and counted, never allowed to fail the whole read.
 */
import { SharebridgeError } from "../errors.js";
import { parseShareDate } from "./dates.js";
import { parseTrend, type TrendName, trendName } from "./trend.js";

export interface ShareReading {
  /** WT: the true UTC instant, epoch ms (share-api §7.2: the field BR, NC, XDF and LK trust). */
  readonly wtMs: number;
  /** ST as the uploader posted it, epoch ms. */
  readonly stMs: number;
  /** DT's instant, epoch ms. */
  readonly dtMs: number;
  /** DT's `±hhmm` suffix in minutes east of UTC, when the server sent one. */
  readonly dtOffsetMinutes: number | undefined;
  readonly glucose: number;
  readonly trend: number;
  readonly trendName: TrendName;
}

/**
 * Why a read gave no readings: the account has none in the window (`no-data`, also when it has no
 * follower, share-api §4), the server answered an empty body (`empty-body`, §7.3) or an assignment
 * fault (`assignment`).
 */
export type EmptyReadReason = "no-data" | "empty-body" | "assignment";

export interface ParsedReadings {
  /** Newest first, as the server orders them (re-sorted here, since not every peer trusts it). */
  readonly readings: readonly ShareReading[];
  /** Elements that were not readings. */
  readonly skipped: number;
  /** Set exactly when `readings` is empty. */
  readonly emptyBecause?: EmptyReadReason;
}

/** More elements than any request may ask for (288) plus slack; a longer array is refused. */
const MAX_ELEMENTS = 2_000;

function parseOne(element: unknown): ShareReading | undefined {
  if (typeof element !== "object" || element === null || Array.isArray(element)) return undefined;
  const record = element as Record<string, unknown>;
  const wt = parseShareDate(record["WT"]);
  const st = parseShareDate(record["ST"]);
  const dt = parseShareDate(record["DT"]);
  const when = wt ?? st;
  if (when === undefined) return undefined;
  const value = record["Value"];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 1000) return undefined;
  const trend = parseTrend(record["Trend"]) ?? 0;
  return {
    wtMs: when.ms,
    stMs: (st ?? when).ms,
    dtMs: (dt ?? when).ms,
    dtOffsetMinutes: dt?.offsetMinutes,
    glucose: value,
    trend,
    trendName: trendName(trend),
  };
}

export function parseReadings(value: unknown): ParsedReadings {
  if (!Array.isArray(value)) {
    throw new SharebridgeError("SHARE_PROTOCOL", "the glucose read answer is not a JSON array", {
      operation: "Publisher/ReadPublisherLatestGlucoseValues",
      type: value === null ? "null" : typeof value,
    });
  }
  if (value.length > MAX_ELEMENTS) {
    throw new SharebridgeError(
      "SHARE_PROTOCOL",
      `the glucose read answer has more than ${MAX_ELEMENTS} elements`,
      {
        operation: "Publisher/ReadPublisherLatestGlucoseValues",
        length: value.length,
      },
    );
  }
  const readings: ShareReading[] = [];
  let skipped = 0;
  for (const element of value) {
    const reading = parseOne(element);
    if (reading === undefined) skipped++;
    else readings.push(reading);
  }
  readings.sort((a, b) => b.wtMs - a.wtMs);
  return readings.length === 0 ? { readings, skipped, emptyBecause: "no-data" } : { readings, skipped };
}
