/**
 * The scenarios' bookkeeping: what each receiver held, what Share holds at the end, and the counts
 * every scenario asserts and prints.
 *
 *   lost          a real reading of a receiver (not display-only, not a special value; of EGV_DATA
 *                 or, on a touchscreen, BACKFILLED_EGV_DATA), inside the
 *                 backfill window, no newer than the newest reading Share holds for that serial, and
 *                 absent from Share
 *   stored twice  a reading Share holds more than once: a second entry for the same receiver reading
 *                 (same serial, ST within the match tolerance, e.g. one second off after a re-measured
 *                 clock offset); Share itself refuses an exact (serial, ST) repeat
 *   foreign       an entry on Share that matches no reading of any receiver the scenario used
 *   duplicate post attempts
 *                 posts Share answered DuplicateEgvPosted: a re-post of readings it already had, with
 *                 the same ST (allowed, e.g. after a crash between Share's answer and the cursor write)
 *
 * Expected ST values are computed with the clock offset the daemon held for each receiver (from its
 * state file at the end), the way the daemon stamps them: ST = epoch2009 + reading time + offset. A
 * reading stamped with any other offset shows up as a second copy or as foreign, never as a match.
 */
import { readFile } from "node:fs/promises";
import type { ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import type { ShareEmulator } from "../../../src/emulator/share/index.js";
import { RECEIVER_EPOCH_MS } from "../../../src/time/epoch.js";
import { readingSystemSeconds } from "../../../src/time/share-times.js";

/** The reading partitions: EGV_DATA, and BACKFILLED_EGV_DATA on touchscreen receivers. */
const READING_PARTITIONS = [4, 18];

export interface ReceiverReading {
  /** The reading's time on the receiver's system clock (as the daemon reads it). */
  readonly systemSeconds: number;
  readonly value: number;
}

/** Every receiver a scenario used, by serial, with its real readings as last seen. */
export class Ledger {
  readonly #receivers = new Map<string, ReceiverReading[]>();

  /** Records the emulator's current receiver (call before a swap and at the end). */
  capture(emulator: ReceiverEmulator): string {
    const model = emulator.model;
    const readings: ReceiverReading[] = [];
    for (const type of READING_PARTITIONS) {
      for (const record of model.partitions[type]?.records ?? []) {
        if (record.kind !== "egv" || record.displayOnly || record.special !== null) continue;
        readings.push({ systemSeconds: readingSystemSeconds(record), value: record.glucose });
      }
    }
    this.#receivers.set(model.serial, readings);
    return model.serial;
  }

  get serials(): string[] {
    return [...this.#receivers.keys()];
  }

  readings(serial: string): readonly ReceiverReading[] {
    return this.#receivers.get(serial) ?? [];
  }
}

export interface Counts {
  /** Readings of the receivers inside their windows. */
  readonly expected: number;
  /** Entries on Share for the scenario's serials. */
  readonly stored: number;
  readonly lost: number;
  readonly storedTwice: number;
  readonly foreign: number;
  /** Entries whose value differs from the receiver's reading they match. */
  readonly wrongValue: number;
  /** Readings newer than the newest on Share for their serial (not yet due when the daemon stopped). */
  readonly notYetPosted: number;
  readonly duplicatePostAttempts: number;
  /** Post requests Share received, whatever the answer. */
  readonly postRequests: number;
  /** Examples for a failure message: ST (ms) of the first lost readings. */
  readonly lostExamples: readonly number[];
}

/** The held clock offset per serial from a state file (whole seconds). */
export async function heldOffsets(stateFile: string): Promise<Map<string, number>> {
  const document = JSON.parse(await readFile(stateFile, "utf8")) as {
    receivers?: Record<string, { heldOffset?: { offsetSeconds?: unknown } }>;
  };
  const offsets = new Map<string, number>();
  for (const [serial, receiver] of Object.entries(document.receivers ?? {})) {
    const offset = receiver.heldOffset?.offsetSeconds;
    if (typeof offset === "number") offsets.set(serial, offset);
  }
  return offsets;
}

export interface TallyOptions {
  /** Per serial (or for all), the start of the window that had to reach Share, ms. */
  readonly windowStartMs: number | Readonly<Record<string, number>>;
  /** Readings of these serials are expected on Share; others must be absent (default all). */
  readonly postedSerials?: readonly string[];
  /** Share entries within this distance of a reading's ST count as copies of it (default 3000 ms). */
  readonly toleranceMs?: number;
}

export function tally(
  ledger: Ledger,
  share: ShareEmulator,
  account: string,
  offsets: ReadonlyMap<string, number>,
  options: TallyOptions,
): Counts {
  const tolerance = options.toleranceMs ?? 3000;
  const stored = share.account(account).egvs;
  const posted = new Set(options.postedSerials ?? ledger.serials);
  let expected = 0;
  let storedCount = 0;
  let lost = 0;
  let storedTwice = 0;
  let foreign = 0;
  let wrongValue = 0;
  let notYetPosted = 0;
  const lostExamples: number[] = [];
  const known = new Set(ledger.serials);
  foreign += stored.filter((e) => !known.has(e.sn)).length;

  for (const serial of ledger.serials) {
    const entries = stored.filter((e) => e.sn === serial).sort((a, b) => a.stMs - b.stMs);
    storedCount += entries.length;
    const offset = offsets.get(serial.toUpperCase());
    const readings = [...ledger.readings(serial)].sort((a, b) => a.systemSeconds - b.systemSeconds);
    if (offset === undefined) {
      // The daemon never anchored this receiver's clock: nothing of it may be on Share.
      foreign += entries.length;
      continue;
    }
    const stOf = (r: ReceiverReading) => RECEIVER_EPOCH_MS + (r.systemSeconds + offset) * 1000;
    const sts = readings.map(stOf);
    const copies = new Array<number>(readings.length).fill(0);
    for (const entry of entries) {
      const at = nearest(sts, entry.stMs);
      const st = sts[at];
      if (st === undefined || Math.abs(st - entry.stMs) > tolerance) {
        foreign++;
        continue;
      }
      copies[at] = (copies[at] ?? 0) + 1;
      if (readings[at]?.value !== entry.value) wrongValue++;
    }
    for (const count of copies) storedTwice += Math.max(0, count - 1);
    if (!posted.has(serial)) continue;
    const windowStart =
      typeof options.windowStartMs === "number"
        ? options.windowStartMs
        : (options.windowStartMs[serial] ?? Number.POSITIVE_INFINITY);
    const newest = entries.at(-1)?.stMs ?? Number.NEGATIVE_INFINITY;
    readings.forEach((_, i) => {
      const st = sts[i] as number;
      if (st < windowStart) return;
      expected++;
      if (st > newest + tolerance) notYetPosted++;
      else if (copies[i] === 0) {
        lost++;
        if (lostExamples.length < 5) lostExamples.push(st);
      }
    });
  }
  const posts = share.requests.filter((r) => r.operation === "Publisher/PostReceiverEgvRecords");
  return {
    expected,
    stored: storedCount,
    lost,
    storedTwice,
    foreign,
    wrongValue,
    notYetPosted,
    duplicatePostAttempts: posts.filter((r) => r.code === "DuplicateEgvPosted").length,
    postRequests: share.count("Publisher/PostReceiverEgvRecords"),
    lostExamples,
  };
}

/** Index of the value in ascending `sorted` closest to `x` (-1 when empty). */
function nearest(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  const before = lo - 1;
  if (before >= 0 && Math.abs((sorted[before] as number) - x) <= Math.abs((sorted[lo] as number) - x)) {
    return before;
  }
  return lo;
}

/** One line per scenario with its counts, for the run's output (and the issue note). */
export function report(name: string, counts: Counts, extra: Record<string, unknown> = {}): void {
  const figures = {
    lost: counts.lost,
    storedTwice: counts.storedTwice,
    foreign: counts.foreign,
    duplicatePostAttempts: counts.duplicatePostAttempts,
    expected: counts.expected,
    stored: counts.stored,
    notYetPosted: counts.notYetPosted,
    postRequests: counts.postRequests,
    ...(counts.lost > 0 ? { lostExamples: counts.lostExamples.map((ms) => new Date(ms).toISOString()) } : {}),
    ...extra,
  };
  console.log(`scenario ${name}: ${JSON.stringify(figures)}`);
}
