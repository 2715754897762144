/**
 * The archive sink: a local history of every decoded reading, posted or not, with what Share made
 * of it (issue: local history). A sink with its own cursor, so it keeps recording while Share is
 * down; it never slows the Share sink or the read:
 *
 *   engine ──readings──► ArchiveWriter ──one append + fdatasync per chunk──► settle (cursor)
 *   Share sink ──Outcomes──► noteOutcome(): queue only ──next turn of the event loop──► one append
 *
 * - Every reading is written when it is read: one line, oldest first (archive-lines.ts). Its Share
 *   outcome follows later as a line of its own, when the Share sink reports it.
 * - Crash-safe: the cursor moves only after the lines are on disk. Lines written but not yet settled
 *   when the process died are recognised when the engine hands those readings over again (the
 *   archive's recent readings are known by their identity), so no reading is written twice; a torn
 *   last line is closed and skipped (archive-files.ts).
 * - Bounded: day files older than `retentionDays` are deleted (checked at most once an hour); a
 *   reading already older than that is settled without being written.
 * - Its trouble is never the cycle's: a failed write (a full or read-only disk) is logged once, shown
 *   by `problem()` (the status page), and the archive stops for that cycle without settling, so its
 *   cursor stays and the next cycle writes what was missed. It never throws into the engine, so
 *   Share's outcome, back-off and health are unaffected.
 * - Outcome lines queue in memory (at most MAX_QUEUED_OUTCOMES; the oldest are dropped beyond, and
 *   counted) and are written in one append per turn of the event loop; lost in a crash, they leave
 *   a reading without an outcome, never a wrong one.
 */
import type { Logger } from "../../log.js";
import type { Reading } from "../../readings/reading.js";
import type { OutcomeEvent } from "../outcomes.js";
import type { Sink, SinkContext, SinkResult, SinkWriter } from "../sink.js";
import {
  type AppendOptions,
  DayFileAppender,
  dayOf,
  firstKeptDay,
  listDayFiles,
  pruneDayFiles,
} from "./archive-files.js";
import { decodeLine, encodeLine, lineKey, outcomeLine, readingKey, readingLine } from "./archive-lines.js";
import { forEachLine } from "./archive-reader.js";

export const ARCHIVE_SINK_NAME = "archive";

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Outcome lines held while they cannot be written: a day of readings several times over. */
export const MAX_QUEUED_OUTCOMES = 10_000;
/** Identities remembered against writing a reading twice; past this the memory starts afresh. */
const MAX_KNOWN_KEYS = 50_000;

export interface ArchiveSinkOptions extends AppendOptions {
  /** The archive directory (`<stateDir>/archive`), created beforehand by the composition root. */
  readonly dir: string;
  /** Days kept (archive.retentionDays, ≥ 1). */
  readonly retentionDays: number;
  readonly log: Logger;
}

export interface ArchiveProblem {
  /** What failed, in words (the file system's error code, never a file's content). */
  readonly message: string;
  readonly sinceMs: number;
}

export class ArchiveSink implements Sink {
  readonly name = ARCHIVE_SINK_NAME;
  readonly dir: string;
  readonly #retentionDays: number;
  readonly #log: Logger;
  readonly #appender: DayFileAppender;
  /** Every append goes through this chain: reading lines and outcome lines never interleave. */
  #chain: Promise<void> = Promise.resolve();
  /** Identities of readings in the archive, loaded from the day files on demand (`#knowFrom`). */
  #known = new Set<string>();
  /** The first day file whose readings are in `#known`; undefined before the first load. */
  #knownFromDay: string | undefined;
  #queued: string[] = [];
  #flushScheduled = false;
  #droppedOutcomes = 0;
  #lastPruneMs = Number.NEGATIVE_INFINITY;
  #problem: ArchiveProblem | undefined;

  constructor(options: ArchiveSinkOptions) {
    this.dir = options.dir;
    this.#retentionDays = options.retentionDays;
    this.#log = options.log.child({ component: "archive" });
    this.#appender = new DayFileAppender(options.dir, { owner: options.owner });
  }

  open(context: SinkContext): SinkWriter {
    return new ArchiveWriter(this, context);
  }

  /** What keeps the archive from writing now, if anything. */
  problem(): ArchiveProblem | undefined {
    return this.#problem;
  }

  /** Outcome lines dropped because they could not be written in time (the queue's bound). */
  droppedOutcomes(): number {
    return this.#droppedOutcomes;
  }

  /**
   * The Outcomes listener: queues the outcome's line and returns at once (sinks/outcomes.ts: a
   * listener must not block). The line is written on the next turn of the event loop.
   */
  readonly noteOutcome = (event: OutcomeEvent): void => {
    this.#queued.push(
      encodeLine(outcomeLine(event.serial, event.reading, event.outcome, event.atMs, event.fault)),
    );
    if (this.#queued.length > MAX_QUEUED_OUTCOMES) {
      this.#queued.shift();
      this.#droppedOutcomes++;
    }
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      void this.flush(event.atMs);
    });
  };

  /** Writes the queued outcome lines (to the day file of `atMs`). Never rejects. */
  flush(atMs: number): Promise<void> {
    return this.#serially(async () => {
      if (this.#queued.length === 0) return;
      const lines = this.#queued;
      this.#queued = [];
      try {
        await this.#appender.append(dayOf(atMs), lines.join(""));
        this.#clearProblem();
      } catch (error) {
        // Kept for the next flush, within the bound.
        this.#queued = [...lines, ...this.#queued].slice(-MAX_QUEUED_OUTCOMES);
        this.report(error, atMs);
      }
    });
  }

  /** Writes what is queued; resolves when every append so far is done. */
  async close(atMs: number): Promise<void> {
    await this.flush(atMs);
  }

  /** Runs `work` after every append before it. */
  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(work);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Appends the readings not yet in the archive (and not older than the retention) to today's file.
   * Resolves once they are on disk; rejects with the file system's error.
   */
  async writeReadings(serial: string, readings: readonly Reading[], nowMs: number): Promise<void> {
    await this.#serially(async () => {
      const cutoffMs = nowMs - this.#retentionDays * DAY_MS;
      const oldest = Math.min(...readings.map((r) => r.times?.wtMs ?? nowMs));
      await this.#knowFrom(dayOf(Math.max(oldest, cutoffMs)));
      const fresh: Reading[] = [];
      for (const reading of readings) {
        const key = readingKey(serial, reading);
        if (this.#known.has(key)) continue;
        if (reading.times !== undefined && reading.times.wtMs < cutoffMs) continue;
        fresh.push(reading);
      }
      if (fresh.length > 0) {
        await this.#appender.append(
          dayOf(nowMs),
          fresh.map((r) => encodeLine(readingLine(serial, r))).join(""),
        );
        for (const reading of fresh) this.#remember(readingKey(serial, reading));
      }
      this.#clearProblem();
    });
  }

  /** Deletes day files past the retention, at most once an hour. Never rejects. */
  prune(nowMs: number): Promise<void> {
    if (nowMs - this.#lastPruneMs < PRUNE_EVERY_MS) return Promise.resolve();
    this.#lastPruneMs = nowMs;
    return this.#serially(async () => {
      try {
        const removed = await pruneDayFiles(this.dir, firstKeptDay(nowMs, this.#retentionDays));
        if (removed.length > 0) this.#log.info({ days: removed }, "archive: old day files removed");
      } catch (error) {
        this.report(error, nowMs);
      }
    });
  }

  /** Loads the identities of readings archived in the day files from `day` on, once per day range. */
  async #knowFrom(day: string): Promise<void> {
    if (this.#knownFromDay !== undefined && day >= this.#knownFromDay) return;
    const until = this.#knownFromDay;
    for (const file of await listDayFiles(this.dir)) {
      if (file.day < day) continue;
      if (until !== undefined && file.day >= until) break;
      await forEachLine(file.path, (text) => {
        const line = text === undefined ? undefined : decodeLine(text);
        if (line?.t === "reading") this.#remember(lineKey(line));
      });
    }
    this.#knownFromDay = day;
  }

  #remember(key: string): void {
    if (this.#known.size >= MAX_KNOWN_KEYS) {
      // Forget and reload on demand: what is needed again is read again from the files.
      this.#known = new Set();
      this.#knownFromDay = undefined;
    }
    this.#known.add(key);
  }

  /** Records a failed write: logged once per kind of failure, shown by `problem()` until a write succeeds. */
  report(error: unknown, atMs: number): void {
    const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? "error";
    const message = `cannot write the archive in ${this.dir} (${errno})`;
    if (this.#problem?.message !== message) {
      this.#log.warn(
        { err: error, dir: this.dir },
        "archive: cannot write; the readings stay on the receiver and are archived once it can",
      );
      this.#problem = { message, sinceMs: atMs };
    }
  }

  #clearProblem(): void {
    if (this.#problem === undefined) return;
    this.#log.info("archive: writing again");
    this.#problem = undefined;
  }
}

/** One cycle's writer: write, then settle; on a failure, stop quietly for this cycle. */
class ArchiveWriter implements SinkWriter {
  readonly #sink: ArchiveSink;
  readonly #context: SinkContext;
  #archived = 0;
  #requests = 0;
  #stopped = false;

  constructor(sink: ArchiveSink, context: SinkContext) {
    this.#sink = sink;
    this.#context = context;
    void sink.prune(context.nowUtcMs());
  }

  async write(readings: readonly Reading[]): Promise<void> {
    const last = readings.at(-1);
    if (this.#stopped || last === undefined) return;
    const nowMs = this.#context.nowUtcMs();
    try {
      await this.#sink.writeReadings(this.#context.serial, readings, nowMs);
      this.#requests++;
      await this.#context.settle(last, readings);
      this.#archived += readings.length;
    } catch (error) {
      this.#stopped = true;
      this.#sink.report(error, nowMs);
    }
  }

  async end(): Promise<SinkResult> {
    return { delivered: this.#archived, requests: this.#requests };
  }
}
