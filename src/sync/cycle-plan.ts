/**
 * The first half of a cycle: what to read and how to stamp it (DESIGN.md §5, §7). A dry run is a
 * plan and nothing else; a real cycle hands the plan's readings to the sinks (cycle-deliver.ts).
 *
 *   ReadSystemTime ─► clock for the cycle ─► cursor: the oldest of the sinks' cursors
 *        ─► record stream (chunk by chunk) ─► confirm the receiver's identity ─► classify ─► readings
 *                                    └─ first run without a held offset: Share's stamp decides (below)
 *        ─► then BACKFILLED_EGV_DATA the same way, from its own cursors, where the receiver keeps it
 *           and the probe finds something new (partitions.ts)
 *
 * - Readings come partition after partition, each oldest first (every EGV_DATA reading before the
 *   first BACKFILLED_EGV_DATA one): a sink that settles a backfilled reading has settled every EGV
 *   reading it was handed (cycle-deliver.ts moves both cursors).
 * - Without a synchronised clock nothing is read (CLOCK_UNSYNCHRONISED from the clock model).
 * - The held offset is handed to `onClockSettled` before the first reading leaves the plan, so it is
 *   saved before anything is posted with it and a re-post after a crash carries the same ST.
 * - A freshly measured offset (no held one: a first run or a lost state file) may be a second away
 *   from the one this receiver's readings already on Share were stamped with (offset-recovery.ts).
 *   Then the records are held back until the read has passed Share's newest reading, Share's stamp
 *   decides, and only then are they classified and released. Only this case buffers more than a
 *   chunk, and never more than the backfill window.
 */
import type { Clock } from "../clock.js";
import { isShareFailure } from "../errors.js";
import type { Logger } from "../log.js";
import { classify } from "../readings/classify.js";
import { isPostable, type Reading, SKIP_REASONS, type SkipReason } from "../readings/reading.js";
import { ReadSystemTime } from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import { RESETTING_DISCONTINUITIES } from "../records/cursor.js";
import type { Discontinuity, IncrementalReader } from "../records/incremental-reader.js";
import type { RecordProblem } from "../records/problems.js";
import type { EgvRecord } from "../records/record-types.js";
import type { ShareReading } from "../share/readings.js";
import { SHARE_SINK_NAME, toShareEgv } from "../sinks/share-sink.js";
import type { Sink } from "../sinks/sink.js";
import { type CycleClock, clockForCycle } from "../time/clock-model.js";
import type { TrueClock } from "../time/reference-clock.js";
import type { TimeMode } from "../time/share-times.js";
import { withProgress } from "./cycle-deliver.js";
import { agreedShift, latestOnShare, passedShare, type ShareReadBack } from "./offset-recovery.js";
import { backfillDue, oldestCursor, PARTITION_RECORD_TYPE, partitionOf } from "./partitions.js";
import { openRecordStream, type RecordStream } from "./record-stream.js";
import {
  type CursorPartition,
  type EgvCursor,
  type LastReading,
  type SyncState,
  serialKey,
  sinkState,
} from "./state.js";

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

export interface CycleSettings {
  readonly mode: TimeMode;
  readonly backfillHours: number;
  readonly readingIntervalSeconds: number;
}

export interface PlanInput {
  readonly session: ReceiverSession;
  readonly state: SyncState;
  readonly sinks: readonly Sink[];
  readonly settings: CycleSettings;
  /** The clock to anchor against, resolved for this cycle (host if synchronised, else Share's). */
  readonly trueClock: (signal?: AbortSignal) => Promise<TrueClock>;
  /** The host clock. */
  readonly clock: Clock;
  /** Share's latest readings, to keep ST stable when the held offset was lost; none in a dry run. */
  readonly readBack?: ShareReadBack | undefined;
  /** Called once, before the first reading is released, with the clock the readings are stamped by. */
  readonly onClockSettled?: ((clock: CycleClock) => Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((pagesRead: number, pagesTotal: number) => void) | undefined;
  readonly log: Logger;
}

/** What the plan learned while its readings were consumed. */
export interface PlanStats {
  /** Records after the cursors read this cycle, both partitions. */
  newRecords: number;
  /** Of those, BACKFILLED_EGV_DATA records. */
  backfillRecords: number;
  problems: number;
  pagesRead: number;
  readonly skipped: Record<SkipReason, number>;
  postable: number;
  /** The highest EGV index known to be on the receiver (the cursor when nothing new was read). */
  newestIndex: number | undefined;
  /** The newest reading the read saw (not display-only), for the schedule and `status`. */
  lastReading: LastReading | undefined;
}

export interface CyclePlan {
  readonly serial: string;
  /**
   * Set when the reference clock (Share) could not be reached: the readings are stamped by the
   * unsynchronised host, for counting what waits only; deliver nothing, and fail with this.
   */
  readonly clockUnavailable: unknown;
  /**
   * What the reads found: EGV_DATA's known before the first reading, BACKFILLED_EGV_DATA's added
   * before its first reading.
   */
  readonly discontinuities: readonly Discontinuity[];
  /**
   * A sink's cursor in a partition for this cycle: undefined without one, and after an erase or a
   * receiver change. A partition's cursors are set before its first reading is yielded.
   */
  cursor(sink: string, partition: CursorPartition): EgvCursor | undefined;
  /** Whether `reading` lies after the sink's cursor in its partition (is the sink's to settle). */
  isNew(sink: string, reading: Reading): boolean;
  /** The clock in force (after `onClockSettled`, the one readings are stamped by). */
  clock(): CycleClock;
  /**
   * Every reading after the oldest sink cursor of its partition, chunk by chunk: EGV_DATA oldest
   * first, then BACKFILLED_EGV_DATA oldest first; one partition per chunk. Consumed once.
   */
  readonly readings: AsyncIterable<readonly Reading[]>;
  readonly stats: PlanStats;
}

/** The host clock when no true clock could be had (never used to deliver, only to count). */
const UNSYNCHRONISED_HOST: TrueClock = {
  kind: "unsynchronised-host",
  source: "host, not synchronised (Share's time unavailable)",
  correctionMs: 0,
  synchronised: false,
};

/** Records a backfill may read without a usable cursor: one per interval, with room for specials. */
export function recordBudget(settings: CycleSettings): number {
  return Math.ceil(((settings.backfillHours * 3600) / settings.readingIntervalSeconds) * 1.5) + 12;
}

export async function planCycle(input: PlanInput): Promise<CyclePlan> {
  const { session, settings, log } = input;
  const { serial, receiver, reader } = session;
  const before = input.state.receivers[serialKey(serial)];

  // 1. The clock: one timed ReadSystemTime against the true clock (throws CLOCK_UNSYNCHRONISED).
  // When Share is the clock and cannot be reached, the plan still reads, with the host's clock and
  // for counting only (`clockUnavailable`): what waits for Share is known, nothing is delivered.
  const sample = await receiver.callTimed(ReadSystemTime);
  let clockUnavailable: unknown;
  const trueClock = await input.trueClock(input.signal).catch((error: unknown) => {
    if (!isShareFailure(error)) throw error;
    clockUnavailable = error;
    return UNSYNCHRONISED_HOST;
  });
  let clock = clockForCycle(sample, trueClock, {
    mode: settings.mode,
    held: before?.heldOffset,
    allowUnsynchronised: clockUnavailable !== undefined,
  });
  if (clock.heldReplaced) {
    log.info(
      { offsetSeconds: clock.offsetSeconds, movedSeconds: clock.movedSeconds, source: clock.clock.source },
      "receiver clock offset measured",
    );
  }

  // 2. Read each partition from the oldest cursor of the sinks there; a sink without one means a
  // backfill. After an erase or a receiver change the old cursors mean nothing: settle from scratch.
  const budget = recordBudget(settings);
  const cursors = new Map<string, Partial<Record<CursorPartition, EgvCursor>>>(
    input.sinks.map((sink) => [sink.name, {}]),
  );
  const discontinuities: Discontinuity[] = [];
  const isNew = (sink: string, reading: Reading) => {
    const after = cursors.get(sink)?.[partitionOf(reading.recordType)];
    return after === undefined || reading.index > after.lastIndex;
  };
  const sinkCursors = (partition: CursorPartition) =>
    input.sinks.map((sink) => sinkState(before, sink.name).cursors[partition]);
  const open = async (partition: CursorPartition, reset: boolean) => {
    const own = sinkCursors(partition);
    const stream = await openRecordStream(reader, {
      recordType: PARTITION_RECORD_TYPE[partition],
      cursor: reset ? undefined : oldestCursor(own),
      recordBudget: budget,
      signal: input.signal,
      // The progress bar follows EGV_DATA, the long read of a backfill.
      onProgress: partition === "egv" ? input.onProgress : undefined,
    });
    for (const discontinuity of stream.discontinuities) {
      log.warn({ discontinuity, partition }, `receiver history discontinuity: ${discontinuity.kind}`);
    }
    discontinuities.push(...stream.discontinuities);
    const restart = reset || stream.discontinuities.some((d) => RESETTING_DISCONTINUITIES.has(d.kind));
    input.sinks.forEach((sink, i) => {
      const mine = cursors.get(sink.name) ?? {};
      mine[partition] = restart ? undefined : own[i];
    });
    return { stream, restart };
  };
  const egv = await open("egv", false);

  const stats: PlanStats = {
    newRecords: 0,
    backfillRecords: 0,
    problems: 0,
    pagesRead: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
    postable: 0,
    newestIndex: egv.restart ? undefined : oldestCursor(sinkCursors("egv"))?.lastIndex,
    lastReading: before?.lastReading,
  };
  const windowStartMs = () =>
    input.clock.now() + clock.clock.correctionMs - settings.backfillHours * 3_600_000;
  // The receiver's clock now, in seconds after the anchor (its second counter may also tick right
  // after the anchor was read: one more). A reading written during the read is new, not a clock set back.
  const aheadAllowedSeconds = () => Math.max(0, Math.ceil((input.clock.now() - sample.sentAtMs) / 1000)) + 1;

  let settled = false;
  const settle = async () => {
    if (settled) return;
    settled = true;
    await input.onClockSettled?.(clock);
  };
  const classifyAll = (records: readonly EgvRecord[]): Reading[] => {
    const options = { clock, windowStartMs: windowStartMs(), aheadAllowedSeconds: aheadAllowedSeconds() };
    return records.map((record) => classify(record, options));
  };
  const release = (records: readonly EgvRecord[]): Reading[] => {
    const readings = classifyAll(records);
    for (const reading of readings) {
      if (reading.skip === undefined) stats.postable++;
      else stats.skipped[reading.skip]++;
    }
    // The newest reading and index are EGV_DATA's: backfilled readings fill gaps behind them.
    const last = records.at(-1);
    if (last === undefined || partitionOf(last.recordType) !== "egv") return readings;
    const newest = newestReading(records, clock);
    if (newest !== undefined) stats.lastReading = newest;
    stats.newestIndex = Math.max(stats.newestIndex ?? -1, last.index);
    return readings;
  };
  const pages: Record<CursorPartition, number> = { egv: 0, backfill: 0 };
  const note = (chunk: { records: readonly EgvRecord[]; problems: readonly RecordProblem[] }) => {
    stats.newRecords += chunk.records.length;
    stats.problems += chunk.problems.length;
    for (const problem of chunk.problems.slice(0, 5)) {
      log.warn(
        { problem: { code: problem.code, reason: problem.reason, index: problem.index } },
        "bad record skipped",
      );
    }
  };

  // 3. Share's stamp decides a fresh offset (see the module comment).
  const recover =
    before?.heldOffset === undefined && clock.heldReplaced && settings.mode === "corrected"
      ? input.readBack
      : undefined;
  let onShare: readonly ShareReading[] | undefined;
  const held: EgvRecord[] = [];
  /** Share could not be asked about a fresh offset: deliver nothing, count what waits. */
  let blocked: unknown;
  let waiting = 0;
  const countWaiting = (records: readonly EgvRecord[]) => {
    for (const reading of classifyAll(records)) {
      if (isPostable(reading) && isNew(SHARE_SINK_NAME, reading)) waiting++;
    }
  };
  const decide = () => {
    const ours = classifyAll(held).filter(isPostable).map(toShareEgv);
    const shift = agreedShift(ours, onShare ?? []);
    if (shift !== undefined) {
      const heldOffset = { offsetSeconds: clock.offsetSeconds + shift, sinceUtcMs: clock.anchor.utcMs };
      clock = clockForCycle(sample, trueClock, { mode: settings.mode, held: heldOffset });
      log.info(
        { offsetSeconds: clock.offsetSeconds, shiftSeconds: shift },
        "Share already holds this receiver's readings under a clock offset a second away; keeping it",
      );
    }
    const readings = release(held);
    held.length = 0;
    return readings;
  };

  async function* egvReadings(stream: RecordStream): AsyncGenerator<readonly Reading[]> {
    for await (const chunk of stream.chunks) {
      // Before anything read is saved or posted: still the receiver whose serial this session holds?
      await session.confirmIdentity?.();
      note(chunk);
      pages.egv = chunk.pagesRead;
      stats.pagesRead = pages.egv + pages.backfill;
      if (blocked !== undefined) {
        countWaiting(chunk.records);
        continue;
      }
      if (recover !== undefined && !settled) {
        if (chunk.records.length === 0) continue;
        try {
          onShare ??= await latestOnShare(recover, settings.backfillHours, input.signal);
        } catch (error) {
          // Share cannot confirm the offset: nothing is posted with it this cycle. The rest of the
          // read only counts what waits (the backlog `status` shows), then the cycle fails with it.
          if (!isShareFailure(error)) throw error;
          blocked = error;
          countWaiting(held);
          countWaiting(chunk.records);
          held.length = 0;
          continue;
        }
        held.push(...chunk.records);
        if (!passedShare(held, clock, onShare)) continue;
        const decided = decide();
        await settle();
        yield decided;
        continue;
      }
      await settle();
      const released = release(chunk.records);
      if (released.length > 0) yield released;
    }
    if (blocked === undefined && held.length > 0) {
      const decided = decide();
      await settle();
      yield decided;
    }
    if (blocked === undefined) await settle();
  }

  /** BACKFILLED_EGV_DATA, after EGV_DATA, under the clock EGV_DATA settled. */
  async function* backfillReadings(): AsyncGenerator<readonly Reading[]> {
    const from = egv.restart ? undefined : oldestCursor(sinkCursors("backfill"));
    if (!(await backfillDue(session, from))) return;
    const { stream } = await open("backfill", egv.restart);
    for await (const chunk of stream.chunks) {
      await session.confirmIdentity?.();
      note(chunk);
      stats.backfillRecords += chunk.records.length;
      pages.backfill = chunk.pagesRead;
      stats.pagesRead = pages.egv + pages.backfill;
      if (blocked !== undefined) {
        countWaiting(chunk.records);
        continue;
      }
      const released = release(chunk.records);
      if (released.length > 0) yield released;
    }
  }

  async function* readings(): AsyncGenerator<readonly Reading[]> {
    yield* egvReadings(egv.stream);
    yield* backfillReadings();
    if (blocked !== undefined) throw withProgress(blocked, 0, waiting);
  }

  return {
    serial,
    clockUnavailable,
    discontinuities,
    cursor: (sink, partition) => cursors.get(sink)?.[partition],
    isNew,
    clock: () => clock,
    readings: readings(),
    stats,
  };
}

function newestReading(records: readonly EgvRecord[], clock: CycleClock): LastReading | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i];
    if (record === undefined || record.displayOnly) continue;
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
