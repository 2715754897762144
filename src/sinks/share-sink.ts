/**
 * The Share sink: posts postable readings to Dexcom Share (share-api §6, §14.1, §18; DESIGN.md §6).
 *
 * Readings arrive oldest first. Postable ones are gathered into batches of at most 50 (share-api
 * §6.4); each batch is posted as soon as it is full, so a long backfill posts while later pages are
 * still being read, and the end of the cycle posts the remainder. Once Share acknowledged a batch,
 * every reading before the next unposted postable one is settled, the skipped ones between included:
 *
 *   pending:  s  P1 … P50  s  s  P51 …        (P postable, s skipped)
 *             └──── batch 1 ────┘ settled through the last s before P51 once batch 1 is acknowledged
 *
 * What Share may answer to a batch (share/batch-result.ts) and what the sink does:
 * - stored, or DuplicateEgvPosted: acknowledged.
 * - FutureEgvPosted (§18.5): the readings Share stored are acknowledged; the cursor stays before the
 *   first one it called future, nothing more is posted this cycle (what follows is newer still), the
 *   clock is to be measured afresh, and from the third cycle in a row the readings are reported as
 *   held. They are posted again next cycle.
 * - refused for their content (§18.7): the batch is split until the reading(s) at fault are found;
 *   those go into quarantine (kept in the state file with the fault, retried once a day), the others
 *   are posted. A batch whose every reading is refused on its own is not quarantined: that is the
 *   account, not the readings, and the error stops the cycle.
 * Anything else (account, session, network) is thrown: the cycle fails and the daemon backs off.
 */
import type { Reading } from "../readings/reading.js";
import { isPostable, type PostableReading } from "../readings/reading.js";
import type { BatchResult } from "../share/batch-result.js";
import { type EgvBatch, MAX_BATCH_SIZE, type ShareEgv } from "../share/egv.js";
import type { Outcomes, ShareOutcome } from "./outcomes.js";
import {
  HELD_AFTER_CYCLES,
  MAX_QUARANTINE,
  parseShareNotes,
  QUARANTINE_RETRY_MS,
  type QuarantinedReading,
  type ShareNotes,
} from "./share-notes.js";
import type { Sink, SinkContext, SinkResult, SinkWriter } from "./sink.js";

/** What the sink needs of the Share client. */
export interface SharePoster {
  postBatch(serial: string, batch: EgvBatch, signal?: AbortSignal): Promise<BatchResult>;
}

export const SHARE_SINK_NAME = "share";

/** The reading as Share receives it. */
export function toShareEgv(reading: PostableReading): ShareEgv {
  return {
    stSeconds: reading.times.stMs / 1000,
    dtSeconds: reading.times.dtMs / 1000,
    taSeconds: reading.times.ta,
    glucose: reading.glucose,
    trend: reading.trend,
  };
}

export class ShareSink implements Sink {
  readonly name = SHARE_SINK_NAME;
  readonly #poster: () => SharePoster;
  readonly #outcomes: Outcomes | undefined;

  /**
   * `poster` is asked at each open: the client can be rebuilt between cycles (new credentials).
   * `outcomes` hears what became of every reading.
   */
  constructor(poster: () => SharePoster, outcomes?: Outcomes) {
    this.#poster = poster;
    this.#outcomes = outcomes;
  }

  open(context: SinkContext): SinkWriter {
    return new ShareWriter(this.#poster(), context, this.#outcomes);
  }
}

type Fate = "stored" | "duplicate" | "future" | { readonly quarantined: string };

class ShareWriter implements SinkWriter {
  readonly #poster: SharePoster;
  readonly #context: SinkContext;
  readonly #outcomes: Outcomes | undefined;
  #notes: ShareNotes;
  /** Readings given and not yet settled, oldest first. */
  #pending: Reading[] = [];
  #postable = 0;
  #delivered = 0;
  #requests = 0;
  /** Share called readings future: nothing more is posted this cycle. */
  #futureAt: Reading | undefined;
  #held = 0;

  constructor(poster: SharePoster, context: SinkContext, outcomes: Outcomes | undefined) {
    this.#poster = poster;
    this.#context = context;
    this.#outcomes = outcomes;
    this.#notes = parseShareNotes(context.notes);
  }

  async write(readings: readonly Reading[]): Promise<void> {
    // After a future answer the rest waits for the next cycle, unread by this sink: not kept here.
    if (this.#futureAt !== undefined) return;
    for (const reading of readings) {
      this.#pending.push(reading);
      if (isPostable(reading)) this.#postable++;
      if (this.#postable === MAX_BATCH_SIZE) await this.#postBatch();
      if (this.#futureAt !== undefined) return;
    }
  }

  async end(): Promise<SinkResult> {
    while (this.#postable > 0 && this.#futureAt === undefined) await this.#postBatch();
    const last = this.#pending.at(-1);
    if (last !== undefined && this.#futureAt === undefined) {
      // Only skipped readings are left: settled, nothing to deliver.
      await this.#context.settle(last, []);
      this.#tell(this.#pending, "skipped");
      this.#pending = [];
    }
    await this.#noteHeld();
    await this.#retryQuarantine();
    return {
      delivered: this.#delivered,
      requests: this.#requests,
      held: this.#held,
      quarantined: this.#notes.quarantine.length,
      clockSuspect: this.#futureAt !== undefined,
    };
  }

  /** Posts the first (up to 50) pending postable readings and settles up to the next postable one. */
  async #postBatch(): Promise<void> {
    const batch: PostableReading[] = [];
    let cut = 0;
    for (; cut < this.#pending.length; cut++) {
      const reading = this.#pending[cut] as Reading;
      if (!isPostable(reading)) continue;
      if (batch.length === MAX_BATCH_SIZE) break;
      batch.push(reading);
    }
    const fates = await this.#deliver(batch, true);
    await this.#quarantine(batch, fates);
    const firstFuture = batch.find((r) => fates.get(r) === "future");
    const settleCount = firstFuture === undefined ? cut : this.#pending.indexOf(firstFuture);
    const settled = this.#pending.slice(0, settleCount);
    const acknowledged = settled.filter((r) => fates.get(r) === "stored" || fates.get(r) === "duplicate");
    const through = settled.at(-1);
    if (through !== undefined) await this.#context.settle(through, acknowledged);
    this.#delivered += acknowledged.length;
    for (const reading of settled)
      this.#tell([reading], outcomeOf(reading, fates.get(reading)), fates.get(reading));
    if (firstFuture === undefined) {
      this.#pending = this.#pending.slice(cut);
      this.#postable -= batch.length;
      return;
    }
    this.#futureAt = firstFuture;
    const future = batch.filter((r) => fates.get(r) === "future");
    this.#held = future.length;
    this.#tell(future, "held");
    this.#pending = [];
    this.#postable = 0;
  }

  /**
   * Posts `readings` as one batch and says what became of each. A content refusal is narrowed down
   * by splitting; `top` marks the batch as the sink formed it, where a refusal of every single
   * reading means the account, not the readings.
   */
  async #deliver(readings: readonly PostableReading[], top: boolean): Promise<Map<Reading, Fate>> {
    const fates = new Map<Reading, Fate>();
    if (readings.length === 0) return fates;
    const byEgv = new Map<ShareEgv, PostableReading>();
    const egvs = readings.map((reading) => {
      const egv = toShareEgv(reading);
      byEgv.set(egv, reading);
      return egv;
    });
    this.#requests++;
    const result = await this.#poster.postBatch(
      this.#context.serial,
      { taSeconds: egvs[0]?.taSeconds ?? 0, readings: egvs },
      this.#context.signal,
    );
    switch (result.kind) {
      case "stored":
      case "duplicate":
        for (const reading of readings) fates.set(reading, result.kind);
        return fates;
      case "future":
        for (const reading of readings) fates.set(reading, "future");
        for (const egv of result.stored) {
          const reading = byEgv.get(egv);
          if (reading !== undefined) fates.set(reading, "stored");
        }
        return fates;
      case "refused": {
        const fault = String(result.error.context["shareCode"] ?? result.error.code);
        if (result.culprits !== undefined) {
          const culprits = new Set(result.culprits.map((egv) => byEgv.get(egv)));
          for (const reading of readings)
            if (culprits.has(reading)) fates.set(reading, { quarantined: fault });
          const rest = readings.filter((r) => !culprits.has(r));
          for (const [reading, fate] of await this.#deliver(rest, false)) fates.set(reading, fate);
          return fates;
        }
        if (readings.length === 1) {
          fates.set(readings[0] as PostableReading, { quarantined: fault });
          return fates;
        }
        const half = Math.ceil(readings.length / 2);
        const older = await this.#deliver(readings.slice(0, half), false);
        for (const [reading, fate] of older) fates.set(reading, fate);
        const newer = readings.slice(half);
        if ([...older.values()].includes("future")) {
          for (const reading of newer) fates.set(reading, "future");
        } else {
          for (const [reading, fate] of await this.#deliver(newer, false)) fates.set(reading, fate);
        }
        if (top && [...fates.values()].every((fate) => typeof fate === "object")) throw result.error;
        return fates;
      }
    }
  }

  /** Puts the refused readings of a batch into quarantine (saved before the cursor passes them). */
  async #quarantine(batch: readonly PostableReading[], fates: Map<Reading, Fate>): Promise<void> {
    const nowMs = this.#context.nowUtcMs();
    const added: QuarantinedReading[] = [];
    for (const reading of batch) {
      const fate = fates.get(reading);
      if (typeof fate !== "object") continue;
      added.push({
        recordType: reading.recordType,
        index: reading.index,
        egv: toShareEgv(reading),
        fault: fate.quarantined,
        sinceMs: nowMs,
        lastTriedMs: nowMs,
      });
      this.#context.log.warn(
        { index: reading.index, fault: fate.quarantined },
        "Share keeps refusing a reading; it is set aside and tried again once a day",
      );
    }
    if (added.length === 0) return;
    const quarantine = [...this.#notes.quarantine, ...added].slice(-MAX_QUARANTINE);
    await this.#save({ ...this.#notes, quarantine });
  }

  /** Counts the cycles in a row Share called the same reading future; reports it held from the third. */
  async #noteHeld(): Promise<void> {
    const at = this.#futureAt;
    const before = this.#notes.held;
    if (at === undefined) {
      if (before !== undefined) await this.#save({ ...this.#notes, held: undefined });
      return;
    }
    const cycles = before?.firstIndex === at.index ? before.cycles + 1 : 1;
    const held = { firstIndex: at.index, cycles, sinceMs: before?.sinceMs ?? this.#context.nowUtcMs() };
    await this.#save({ ...this.#notes, held });
    if (cycles >= HELD_AFTER_CYCLES) {
      this.#context.log.warn(
        { readings: this.#held, cycles, firstIndex: at.index },
        "Share has called these readings future for several cycles: they are held; check the host's clock",
      );
    }
  }

  /** Tries each quarantined reading again, alone, at most once a day. */
  async #retryQuarantine(): Promise<void> {
    const nowMs = this.#context.nowUtcMs();
    const due = this.#notes.quarantine.filter((entry) => nowMs - entry.lastTriedMs >= QUARANTINE_RETRY_MS);
    if (due.length === 0) return;
    const keep: QuarantinedReading[] = [];
    for (const entry of this.#notes.quarantine) {
      if (!due.includes(entry)) {
        keep.push(entry);
        continue;
      }
      this.#requests++;
      const result = await this.#poster.postBatch(
        this.#context.serial,
        { taSeconds: entry.egv.taSeconds, readings: [entry.egv] },
        this.#context.signal,
      );
      if (result.kind === "stored" || result.kind === "duplicate") {
        this.#context.log.info({ index: entry.index }, "Share took a reading it had refused before");
        continue;
      }
      keep.push({ ...entry, lastTriedMs: nowMs });
    }
    await this.#save({ ...this.#notes, quarantine: keep });
  }

  async #save(notes: ShareNotes): Promise<void> {
    await this.#context.saveNotes(notes);
    this.#notes = notes;
  }

  #tell(readings: readonly Reading[], outcome: ShareOutcome, fate?: Fate): void {
    if (this.#outcomes === undefined) return;
    const atMs = this.#context.nowUtcMs();
    const fault = typeof fate === "object" ? fate.quarantined : undefined;
    for (const reading of readings) {
      this.#outcomes.emit({ serial: this.#context.serial, reading, outcome, fault, atMs }, (error) =>
        this.#context.log.warn({ err: error }, "an outcome listener failed"),
      );
    }
  }
}

function outcomeOf(reading: Reading, fate: Fate | undefined): ShareOutcome {
  if (!isPostable(reading) || fate === undefined) return "skipped";
  if (fate === "future") return "held";
  return typeof fate === "object" ? "quarantined" : fate;
}
