/**
 * One sync cycle (DESIGN.md §7):
 *
 *   measure the clock ─► read EGVs after the cursor ─► select ─► post in batches ─► advance the cursor
 *   (ReadSystemTime)     (page range + new pages)       │          (≤ 50, oldest     after EACH acknowledged
 *                                                        │           first)          batch, atomically
 *                                                        └ never display-only, never special values,
 *                                                          never older than the backfill window
 *
 * Guarantees:
 * - The cursor never moves past a reading Share has not acknowledged. It moves past records that are
 *   never to be posted (display-only, special values, outside the window) together with the acknowledged
 *   readings around them.
 * - A replaced clock offset is saved before anything is posted with it, so a re-post after a crash
 *   carries exactly the same ST (DESIGN.md §5).
 * - Without a synchronised clock nothing is read or posted (CLOCK_UNSYNCHRONISED from the clock model).
 *
 * A cycle talks to the receiver through `ReceiverApi` (via the incremental reader), to Share through
 * `SyncPublisher`, and to disk through `StateStore`, so tests run it against the emulators, a fake
 * clock and a temporary directory.
 */
import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { ReadSystemTime } from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import type { Discontinuity } from "../records/cursor.js";
import { isPostableGlucose } from "../records/decoders/egv.js";
import { displayedGlucose } from "../records/glucose.js";
import type { IncrementalReader } from "../records/incremental-reader.js";
import type { EgvRecord } from "../records/record-types.js";
import type { ShareEgv } from "../share/egv.js";
import { shareEgv } from "../share/egv.js";
import type { BatchAck, PostOptions, PostResult } from "../share/publisher.js";
import { type CycleClock, clockForCycle } from "../time/clock-model.js";
import type { TrueClock } from "../time/reference-clock.js";
import type { TimeMode } from "../time/share-times.js";
import { type ShareReadBack, shiftOnShare } from "./offset-recovery.js";
import { type EgvCursor, type LastReading, type SyncState, serialKey, withReceiver } from "./state.js";
import type { StateStore } from "./state-store.js";

const EGV_DATA = 4;

/**
 * What a cycle needs from Share: posting with a per-batch acknowledgement hook, and reading back the
 * account's latest readings (to keep ST stable when a receiver's held offset was lost; optional).
 */
export interface SyncPublisher extends Partial<ShareReadBack> {
  postEgvs(serial: string, readings: readonly ShareEgv[], options?: PostOptions): Promise<PostResult>;
}

/** A connected receiver: its API, a reader bound to it, and its serial (read once per connection). */
export interface ReceiverSession {
  readonly receiver: ReceiverApi;
  readonly reader: IncrementalReader;
  readonly serial: string;
  /**
   * Throws (a receiver error, so the caller reconnects) when the receiver answering now is not the
   * one `serial` names. The link reopens its port by itself after an unplug or a TCP reconnect, and
   * whatever is plugged in by then answers: without this check a swapped receiver's readings would
   * go out under the old serial. Sessions whose link cannot reopen may omit it.
   */
  readonly confirmIdentity?: () => Promise<void>;
}

export interface CycleOptions {
  readonly mode: TimeMode;
  readonly backfillHours: number;
  readonly readingIntervalSeconds: number;
  /** The clock to anchor against, resolved for this cycle (host if synchronised, else Share's). */
  readonly trueClock: () => Promise<TrueClock>;
  /** Host clock, ms. */
  readonly now: () => number;
  /** Print instead of posting; nothing is written. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  /** Pages read / pages to read, for a progress bar on long backfills. */
  readonly onProgress?: (pagesRead: number, pagesTotal: number) => void;
  readonly log: Logger;
}

export type SkipReason = "display-only" | "special" | "out-of-window" | "ahead-of-receiver-clock";

export interface CycleReport {
  readonly serial: string;
  /** `posted`: Share acknowledged new readings; `nothing-new`; `dry-run`. */
  readonly outcome: "posted" | "nothing-new" | "dry-run";
  /** Records after the cursor read this cycle. */
  readonly newRecords: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Readings posted and acknowledged (stored, duplicate or future, share-api §6.5). */
  readonly posted: number;
  readonly batches: readonly BatchAck[];
  /** What a dry run would have posted, oldest first. */
  readonly wouldPost: readonly ShareEgv[];
  readonly cursorBefore: EgvCursor | undefined;
  readonly cursorAfter: EgvCursor | undefined;
  readonly discontinuities: readonly Discontinuity[];
  /** Bad records or pages reported by the decoder (skipped). */
  readonly problems: number;
  readonly pagesRead: number;
  /** Readings inside the window left to post after this cycle (0 after a complete post). */
  readonly backlog: number;
  readonly lastReading: LastReading | undefined;
  readonly clock: {
    readonly offsetSeconds: number;
    readonly replaced: boolean;
    readonly source: string;
  };
}

interface Candidate {
  readonly record: EgvRecord;
  /** The reading as Share receives it; undefined when it is not to be posted. */
  readonly egv: ShareEgv | undefined;
}

/** Records a backfill may read without a usable cursor: one per interval, with room for specials. */
function backfillLimit(options: CycleOptions): number {
  return Math.ceil(((options.backfillHours * 3600) / options.readingIntervalSeconds) * 1.5) + 12;
}

/**
 * `aheadAllowedSeconds`: how far after the anchor the receiver's clock may have moved by the end of the
 * read. The anchor is taken before the pages are read, so a reading the receiver writes in between
 * lies a second or so after it: new, not a clock set back (see `runCycle`).
 */
function select(
  records: readonly EgvRecord[],
  clock: CycleClock,
  cutoffMs: number,
  skipped: Record<SkipReason, number>,
  aheadAllowedSeconds: number,
): Candidate[] {
  return records.map((record) => {
    if (record.displayOnly) {
      skipped["display-only"]++;
      return { record, egv: undefined };
    }
    if (!isPostableGlucose(record)) {
      skipped.special++;
      return { record, egv: undefined };
    }
    // A reading after the receiver's own "now" means its clock was set back: its time is unknown.
    if (clock.aheadOfAnchorSeconds(record) > aheadAllowedSeconds) {
      skipped["ahead-of-receiver-clock"]++;
      return { record, egv: undefined };
    }
    const times = clock.stamp(record);
    const glucose = displayedGlucose(record.glucose);
    if (glucose === undefined) {
      skipped.special++;
      return { record, egv: undefined };
    }
    if (times.wtMs < cutoffMs) {
      skipped["out-of-window"]++;
      return { record, egv: undefined };
    }
    return { record, egv: shareEgv(times, glucose, record.trend) };
  });
}

/**
 * The cursor after an acknowledgement up to ST `ackedStSeconds`: just before the first reading to post
 * that is not yet acknowledged, or the last record when all are settled.
 */
function settledCursor(
  candidates: readonly Candidate[],
  ackedStSeconds: number | undefined,
  previous: EgvCursor | undefined,
): EgvCursor | undefined {
  let settled: EgvRecord | undefined;
  let lastSt = previous?.lastStSeconds ?? null;
  for (const { record, egv } of candidates) {
    if (egv !== undefined) {
      if (ackedStSeconds === undefined || egv.stSeconds > ackedStSeconds) break;
      lastSt = Math.max(lastSt ?? egv.stSeconds, egv.stSeconds);
    }
    settled = record;
  }
  if (settled === undefined) return previous;
  return { lastIndex: settled.index, lastSystemSeconds: settled.systemSeconds, lastStSeconds: lastSt };
}

function newestReading(candidates: readonly Candidate[], clock: CycleClock): LastReading | undefined {
  for (let i = candidates.length - 1; i >= 0; i--) {
    const candidate = candidates[i];
    if (candidate === undefined || candidate.record.displayOnly) continue;
    const { record } = candidate;
    return {
      index: record.index,
      systemSeconds: record.systemSeconds,
      utcMs: clock.stamp(record).wtMs,
      glucose: record.glucose,
      trend: record.trend,
    };
  }
  return undefined;
}

export async function runCycle(
  session: ReceiverSession,
  publisher: SyncPublisher | undefined,
  store: StateStore<SyncState>,
  options: CycleOptions,
): Promise<CycleReport> {
  const { serial, receiver, reader } = session;
  const log = options.log.child({ serial });
  const before = store.current.receivers[serialKey(serial)];
  const cursorBefore = before?.egvCursor;

  // 1. The clock: one timed ReadSystemTime against the true clock (throws CLOCK_UNSYNCHRONISED).
  const sample = await receiver.callTimed(ReadSystemTime);
  const trueClock = await options.trueClock();
  let clock = clockForCycle(sample, trueClock, { mode: options.mode, held: before?.heldOffset });
  if (clock.heldReplaced) {
    log.info(
      { offsetSeconds: clock.offsetSeconds, movedSeconds: clock.movedSeconds, source: clock.clock.source },
      "receiver clock offset measured",
    );
  }

  // 2. Read what is new.
  const read = await reader.readNew(EGV_DATA, {
    cursor:
      cursorBefore === undefined
        ? undefined
        : { lastIndex: cursorBefore.lastIndex, lastSystemSeconds: cursorBefore.lastSystemSeconds },
    backfillLimit: backfillLimit(options),
    onProgress: options.onProgress,
  });
  // Before anything read is saved or posted: still the receiver whose serial this session holds?
  await session.confirmIdentity?.();
  for (const discontinuity of read.discontinuities) {
    log.warn({ discontinuity }, `receiver history discontinuity: ${discontinuity.kind}`);
  }
  for (const problem of read.problems.slice(0, 5)) {
    log.warn(
      { problem: { code: problem.code, reason: problem.reason, index: problem.index } },
      "bad record skipped",
    );
  }

  // 3. Select.
  const skipped: Record<SkipReason, number> = {
    "display-only": 0,
    special: 0,
    "out-of-window": 0,
    "ahead-of-receiver-clock": 0,
  };
  const cutoffMs = options.now() + clock.clock.correctionMs - options.backfillHours * 3_600_000;
  // The receiver's clock at the end of the read, in seconds after the anchor (its second counter
  // may also tick right after the anchor was read: one more). A reading written during the read was
  // skipped as "ahead of the receiver's clock" and then settled behind the cursor: lost for good.
  const aheadAllowedSeconds = Math.max(0, Math.ceil((options.now() - sample.sentAtMs) / 1000)) + 1;
  let candidates = select(read.records, clock, cutoffMs, skipped, aheadAllowedSeconds);
  let toPost = candidates.flatMap((c) => (c.egv === undefined ? [] : [c.egv]));
  // After an erase or a receiver change the old cursor means nothing: settle from scratch.
  const restart = read.discontinuities.some((d) => d.kind === "erased" || d.kind === "receiver-changed");
  const base = (cursor: EgvCursor | undefined) => (restart ? undefined : cursor);
  const lastReading = newestReading(candidates, clock) ?? before?.lastReading;

  // 3b. A freshly measured offset (none held: a first run, or a lost state file) may be a second off
  // the one this receiver's readings already on Share were stamped with (offset-recovery.ts). Before
  // it is saved or posted with, take Share's. If Share cannot be asked, nothing is posted this cycle.
  const readBack = publisher?.readLatestGlucose?.bind(publisher);
  if (clock.heldReplaced && before?.heldOffset === undefined && options.mode === "corrected") {
    if (toPost.length > 0 && options.dryRun !== true && readBack !== undefined) {
      let shift: number | undefined;
      try {
        shift = await shiftOnShare(
          { readLatestGlucose: readBack },
          toPost,
          options.backfillHours,
          options.signal,
        );
      } catch (error) {
        // Keep what status shows (the newest reading), not the unconfirmed offset; try again next cycle.
        await store
          .update((state) => ({
            ...withReceiver(state, serial, (r) => ({ ...r, lastReading })),
            lastSerial: serial,
          }))
          .catch(() => undefined);
        throw partialFailure(error, 0, toPost.length);
      }
      if (shift !== undefined) {
        const held = { offsetSeconds: clock.offsetSeconds + shift, sinceUtcMs: clock.anchor.utcMs };
        clock = clockForCycle(sample, trueClock, { mode: options.mode, held });
        for (const key of Object.keys(skipped) as SkipReason[]) skipped[key] = 0;
        candidates = select(read.records, clock, cutoffMs, skipped, aheadAllowedSeconds);
        toPost = candidates.flatMap((c) => (c.egv === undefined ? [] : [c.egv]));
        log.info(
          { offsetSeconds: clock.offsetSeconds, shiftSeconds: shift },
          "Share already holds this receiver's readings under a clock offset a second away; keeping it",
        );
      }
    }
  }
  const report = {
    serial,
    newRecords: read.records.length,
    skipped,
    cursorBefore,
    discontinuities: read.discontinuities,
    problems: read.problems.length,
    pagesRead: read.pagesRead,
    lastReading,
    clock: { offsetSeconds: clock.offsetSeconds, replaced: clock.heldReplaced, source: clock.clock.source },
  };
  if (options.dryRun === true) {
    return {
      ...report,
      outcome: "dry-run",
      posted: 0,
      batches: [],
      wouldPost: toPost,
      backlog: toPost.length,
      cursorAfter: cursorBefore,
    };
  }

  // 4. Save the offset before posting with it, and the newest reading for the scheduler and status.
  // A failed write (full disk) leaves every reading to post waiting: say how many (the backlog).
  await store
    .update((state) => ({
      ...withReceiver(state, serial, (r) => ({
        ...r,
        heldOffset: clock.held ?? r.heldOffset,
        lastReading,
        // Nothing to post: the cursor moves past what was read (all of it is settled).
        egvCursor:
          toPost.length === 0 ? settledCursor(candidates, undefined, base(r.egvCursor)) : r.egvCursor,
      })),
      lastSerial: serial,
    }))
    .catch((error: unknown) => {
      throw partialFailure(error, 0, toPost.length);
    });
  if (toPost.length === 0) {
    return {
      ...report,
      outcome: "nothing-new",
      posted: 0,
      batches: [],
      wouldPost: [],
      backlog: 0,
      cursorAfter: store.current.receivers[serialKey(serial)]?.egvCursor,
    };
  }
  if (publisher === undefined) throw new Error("runCycle: a publisher is required unless dryRun");

  // 5. Post; the cursor follows each acknowledged batch.
  let acknowledged = 0;
  let result: PostResult;
  try {
    result = await publisher.postEgvs(serial, toPost, {
      signal: options.signal,
      onBatch: async (ack) => {
        const postedAt = options.now() + clock.clock.correctionMs;
        await store.update((state) =>
          withReceiver(state, serial, (r) => ({
            ...r,
            egvCursor: settledCursor(candidates, ack.lastStSeconds, base(r.egvCursor)),
            lastPostUtcMs: postedAt,
          })),
        );
        acknowledged += ack.count;
        log.info(
          { readings: ack.count, outcome: ack.outcome, lastSt: ack.lastStSeconds },
          "Share acknowledged a batch",
        );
      },
    });
  } catch (error) {
    throw partialFailure(error, acknowledged, toPost.length - acknowledged);
  }
  return {
    ...report,
    outcome: "posted",
    posted: result.readings,
    batches: result.batches,
    wouldPost: [],
    backlog: 0,
    cursorAfter: store.current.receivers[serialKey(serial)]?.egvCursor,
  };
}

/**
 * A post that failed part-way: the same error (same code, so the same exit code and policy) with how
 * many readings were acknowledged before it and how many are left.
 */
function partialFailure(error: unknown, posted: number, backlog: number): unknown {
  if (!(error instanceof SharebridgeError)) return error;
  return error.within("", { posted, backlog });
}
