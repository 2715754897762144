/**
 * The Share sink: posts postable readings to Dexcom Share (share-api §6, §14.1; DESIGN.md §6).
 *
 * Readings arrive oldest first. Postable ones are gathered into batches of at most 50 (share-api
 * §6.4); each batch is posted as soon as it is full, so a long backfill posts while later pages are
 * still being read, and the end of the cycle posts the remainder. After Share acknowledges a batch,
 * every reading before the next unposted postable one is settled, the skipped ones between included:
 *
 *   pending:  s  P1 … P50  s  s  P51 …        (P postable, s skipped)
 *             └──── batch 1 ────┘ settled through the last s before P51 once batch 1 is acknowledged
 */
import type { Reading } from "../readings/reading.js";
import { isPostable, type PostableReading } from "../readings/reading.js";
import { MAX_BATCH_SIZE, type ShareEgv } from "../share/egv.js";
import type { PostOptions, PostResult } from "../share/publisher.js";
import type { Outcomes, ShareOutcome } from "./outcomes.js";
import type { Sink, SinkContext, SinkResult, SinkWriter } from "./sink.js";

/** What the sink needs of the Share client. */
export interface SharePoster {
  postEgvs(serial: string, readings: readonly ShareEgv[], options?: PostOptions): Promise<PostResult>;
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

class ShareWriter implements SinkWriter {
  readonly #poster: SharePoster;
  readonly #context: SinkContext;
  /** Readings given and not yet settled, oldest first. */
  #pending: Reading[] = [];
  #postable = 0;
  #delivered = 0;
  #requests = 0;

  readonly #outcomes: Outcomes | undefined;

  constructor(poster: SharePoster, context: SinkContext, outcomes: Outcomes | undefined) {
    this.#poster = poster;
    this.#context = context;
    this.#outcomes = outcomes;
  }

  #tell(readings: readonly Reading[], outcome: ShareOutcome): void {
    if (this.#outcomes === undefined) return;
    const atMs = this.#context.nowUtcMs();
    for (const reading of readings) {
      this.#outcomes.emit({ serial: this.#context.serial, reading, outcome, atMs }, (error) =>
        this.#context.log.warn({ err: error }, "an outcome listener failed"),
      );
    }
  }

  async write(readings: readonly Reading[]): Promise<void> {
    for (const reading of readings) {
      this.#pending.push(reading);
      if (isPostable(reading)) this.#postable++;
      if (this.#postable === MAX_BATCH_SIZE) await this.#postBatch();
    }
  }

  async end(): Promise<SinkResult> {
    while (this.#postable > 0) await this.#postBatch();
    const last = this.#pending.at(-1);
    if (last !== undefined) {
      // Only skipped readings are left: settled, nothing to deliver.
      await this.#context.settle(last, []);
      this.#tell(this.#pending, "skipped");
      this.#pending = [];
    }
    return { delivered: this.#delivered, requests: this.#requests };
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
    const { serial, signal } = this.#context;
    this.#requests++;
    const result = await this.#poster.postEgvs(serial, batch.map(toShareEgv), { signal });
    const settled = this.#pending.slice(0, cut);
    this.#pending = this.#pending.slice(cut);
    this.#postable -= batch.length;
    this.#delivered += batch.length;
    const through = settled.at(-1);
    if (through !== undefined) await this.#context.settle(through, batch);
    this.#tell(batch, result.batches.some((b) => b.outcome === "duplicate") ? "duplicate" : "stored");
    this.#tell(
      settled.filter((r) => !isPostable(r)),
      "skipped",
    );
  }
}
