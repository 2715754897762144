/**
 * The clock offset under which Share already holds a receiver's readings (DESIGN.md §5, §7).
 *
 * Why: Share recognises a re-posted reading by its ST second (share-api §6.5). The held offset keeps
 * ST stable from cycle to cycle, but a receiver without one — a first run, or a state file that was
 * corrupt or lost — measures it afresh, and a fresh measurement of a whole-second clock rounds to
 * either of two neighbouring seconds depending on where in its second the receiver was read (about
 * an even chance). Re-posting the backfill window with the other second stores every reading of it
 * twice, one second apart. So before the first post with a fresh offset, the account's latest
 * readings are read back (one request) and, when at least `MIN_AGREEING` of them are this
 * receiver's readings (same value) at one ST shift within the hold tolerance, that shift is taken.
 *
 * An account holding nothing, or only other receivers' readings, gives no agreement, and the fresh
 * measurement stands. Readings of another receiver match by value at the same few seconds only by
 * chance, and never several in a row at one shift.
 */
import { isSharebridgeError } from "../errors.js";
import type { EgvRecord } from "../records/record-types.js";
import type { ReadOptions } from "../share/client.js";
import type { ShareEgv } from "../share/egv.js";
import type { ParsedReadings, ShareReading } from "../share/readings.js";
import type { CycleClock } from "../time/clock-model.js";
import { HOLD_TOLERANCE_SECONDS } from "../time/held-offset.js";

/** Share readings that must agree on one shift before it is taken. */
export const MIN_AGREEING = 3;
/** How many of the account's latest readings to read back (one reading interval each, usually). */
const READ_BACK = 24;

export interface ShareReadBack {
  readLatestGlucose(options: ReadOptions): Promise<ParsedReadings>;
}

/**
 * The account's latest readings within the backfill window (one request), or an empty list when the
 * read itself is unusable (then the fresh measurement stands). Throws what the read throws otherwise,
 * so a Share outage keeps the cycle from posting with an unconfirmed offset.
 */
export async function latestOnShare(
  share: ShareReadBack,
  backfillHours: number,
  signal?: AbortSignal,
): Promise<readonly ShareReading[]> {
  const minutes = Math.min(1440, Math.max(1, Math.ceil(backfillHours * 60)));
  try {
    return (await share.readLatestGlucose({ minutes, maxCount: READ_BACK, signal })).readings;
  } catch (error) {
    if (isSharebridgeError(error) && ["SHARE_PROTOCOL", "SHARE_REJECTED"].includes(error.code)) return [];
    throw error;
  }
}

/**
 * The ST shift (whole seconds, non-zero) to apply to `ours` so that it matches what Share holds, or
 * undefined when Share holds none of these readings at another shift.
 */
export function agreedShift(
  ours: readonly { readonly stSeconds: number; readonly glucose: number }[],
  held: readonly ShareReading[],
): number | undefined {
  const byStSeconds = new Map<number, number>();
  for (const egv of ours) byStSeconds.set(egv.stSeconds, egv.glucose);
  const votes = new Map<number, number>();
  for (const reading of held) {
    const st = Math.round(reading.stMs / 1000);
    for (let shift = -HOLD_TOLERANCE_SECONDS; shift <= HOLD_TOLERANCE_SECONDS; shift++) {
      if (byStSeconds.get(st - shift) === reading.glucose) votes.set(shift, (votes.get(shift) ?? 0) + 1);
    }
  }
  let best: number | undefined;
  let bestVotes = 0;
  let tie = false;
  for (const [shift, count] of votes) {
    if (count > bestVotes) {
      best = shift;
      bestVotes = count;
      tie = false;
    } else if (count === bestVotes) tie = true;
  }
  if (best === undefined || tie || bestVotes < MIN_AGREEING || best === 0) return undefined;
  return best;
}

/** The two steps together, for a set of readings already in hand. */
export async function shiftOnShare(
  share: ShareReadBack,
  toPost: readonly ShareEgv[],
  backfillHours: number,
  signal?: AbortSignal,
): Promise<number | undefined> {
  return agreedShift(toPost, await latestOnShare(share, backfillHours, signal));
}

/** The held records reach past Share's newest reading: every reading that could vote has been read. */
export function passedShare(
  held: readonly EgvRecord[],
  clock: CycleClock,
  onShare: readonly ShareReading[],
): boolean {
  const last = held.at(-1);
  if (last === undefined) return false;
  const newestOnShareMs = Math.max(...onShare.map((r) => r.stMs), Number.NEGATIVE_INFINITY);
  return clock.stamp(last).stMs > newestOnShareMs + HOLD_TOLERANCE_SECONDS * 1000;
}
