/**
 * One sync cycle (DESIGN.md §7) = a plan (cycle-plan.ts) delivered to the sinks (cycle-deliver.ts):
 *
 *   measure the clock ─► read after the oldest sink cursor, chunk by chunk ─► classify ─► sinks
 *   (ReadSystemTime)     (page range + new pages)                              each posts and settles
 *                        EGV_DATA, then BACKFILLED_EGV_DATA where it exists    its own cursors
 *
 * A dry run is the plan alone: it reads and classifies, and changes nothing anywhere.
 *
 * Guarantees:
 * - A sink's cursor never moves past a reading its destination has not acknowledged. It moves past
 *   readings that are never to be delivered (display-only, special values, outside the window)
 *   together with the acknowledged readings around them.
 * - A replaced clock offset is saved before anything is posted with it, so a re-post after a crash
 *   carries exactly the same ST (DESIGN.md §5).
 * - Without a synchronised clock nothing is read or posted (CLOCK_UNSYNCHRONISED).
 *
 * The cycle talks to the receiver through a `ReceiverSession`, to Share (and any other destination)
 * through `Sink`s, to disk through `StateStore` and to time through `Clock`, so tests run it against
 * the emulators, a fake clock and a temporary directory.
 */
import type { Clock } from "../clock.js";
import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { isPostable, type SkipReason } from "../readings/reading.js";
import type { Discontinuity } from "../records/incremental-reader.js";
import type { ShareEgv } from "../share/egv.js";
import { SHARE_SINK_NAME, toShareEgv } from "../sinks/share-sink.js";
import type { Sink } from "../sinks/sink.js";
import type { TrueClock } from "../time/reference-clock.js";
import { deliver, type SinkOutcome, withProgress } from "./cycle-deliver.js";
import {
  type CyclePlan,
  type CycleSettings,
  type PlanInput,
  planCycle,
  type ReceiverSession,
} from "./cycle-plan.js";
import type { ShareReadBack } from "./offset-recovery.js";
import type { EgvCursor, LastReading, SyncState } from "./state.js";
import { withReceiver } from "./state.js";
import type { StateStore } from "./state-store.js";

export type { CycleSettings, ReceiverSession } from "./cycle-plan.js";

/** What a cycle works with; built once by the composition root (src/app/). */
export interface CycleDeps {
  readonly session: ReceiverSession;
  readonly store: StateStore<SyncState>;
  readonly sinks: readonly Sink[];
  /** The clock to anchor against; `signal` ends a reference request in flight (Share's time). */
  readonly trueClock: (signal?: AbortSignal) => Promise<TrueClock>;
  readonly clock: Clock;
  /** Share's read-back (offset-recovery.ts); without it a fresh offset stands as measured. */
  readonly readBack?: ShareReadBack | undefined;
  readonly log: Logger;
}

export interface CycleOptions extends CycleSettings {
  readonly signal?: AbortSignal | undefined;
  /** Pages read / pages to read, for a progress bar on long backfills. */
  readonly onProgress?: ((pagesRead: number, pagesTotal: number) => void) | undefined;
}

export interface CycleReport {
  readonly serial: string;
  /** `posted`: Share acknowledged new readings; `nothing-new`; `dry-run`. */
  readonly outcome: "posted" | "nothing-new" | "dry-run";
  /** Records after the cursors read this cycle (EGV_DATA and BACKFILLED_EGV_DATA). */
  readonly newRecords: number;
  /** Of those, BACKFILLED_EGV_DATA records (touchscreen receivers, after a signal loss). */
  readonly backfillRecords: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Readings Share acknowledged this cycle. */
  readonly posted: number;
  /** Posts sent to Share. */
  readonly posts: number;
  /** What a dry run would have posted, oldest first. */
  readonly wouldPost: readonly ShareEgv[];
  /** The Share sink's EGV_DATA cursor before and after. */
  readonly cursorBefore: EgvCursor | undefined;
  readonly cursorAfter: EgvCursor | undefined;
  readonly discontinuities: readonly Discontinuity[];
  /** Bad records or pages reported by the decoder (skipped). */
  readonly problems: number;
  readonly pagesRead: number;
  /** Readings inside the window left to post after this cycle (0 after a complete post). */
  readonly backlog: number;
  /** Readings Share called future this cycle, held back for the next (share-api §18.5). */
  readonly held: number;
  /** Readings in quarantine: Share keeps refusing them (share-api §18.7). */
  readonly quarantined: number;
  /** Share doubts our clock (it called readings future): measure it afresh. */
  readonly clockSuspect: boolean;
  readonly lastReading: LastReading | undefined;
  /** The highest EGV index on the receiver as far as this cycle knows (for the probes, schedule.ts). */
  readonly newestIndex: number | undefined;
  readonly clock: { readonly offsetSeconds: number; readonly replaced: boolean; readonly source: string };
  /** Every sink's outcome. */
  readonly sinks: readonly SinkOutcome[];
}

function planInput(deps: CycleDeps, options: CycleOptions, dryRun: boolean): PlanInput {
  const { store } = deps;
  return {
    session: deps.session,
    state: store.current,
    sinks: deps.sinks,
    settings: options,
    trueClock: deps.trueClock,
    clock: deps.clock,
    readBack: dryRun ? undefined : deps.readBack,
    signal: options.signal,
    onProgress: options.onProgress,
    log: deps.log.child({ serial: deps.session.serial }),
    onClockSettled: dryRun
      ? undefined
      : async (clock) => {
          if (!clock.heldReplaced) return;
          await store.update((state) => ({
            ...withReceiver(state, deps.session.serial, (r) => ({ ...r, heldOffset: clock.held })),
            lastSerial: deps.session.serial,
          }));
        },
  };
}

/** One cycle: read what is new and deliver it to every sink. Throws the first failure, with progress. */
export async function runCycle(deps: CycleDeps, options: CycleOptions): Promise<CycleReport> {
  const plan = await planCycle(planInput(deps, options, false));
  if (plan.clockUnavailable !== undefined) throw await waitingForClock(plan);
  const { sinks, readError } = await deliver({
    plan,
    sinks: deps.sinks,
    store: deps.store,
    clock: deps.clock,
    signal: options.signal,
    log: deps.log,
  });
  const share = sinks.find((s) => s.sink === SHARE_SINK_NAME) ?? sinks[0];
  // Stopped (SIGTERM, Ctrl-C): whatever the abort cut short, the cycle did not finish.
  if (options.signal?.aborted === true) {
    const stopped = new SharebridgeError("ABORTED", "the sync cycle was stopped", {});
    throw withProgress(stopped, share?.delivered ?? 0, share?.backlog ?? 0);
  }
  const failed = sinks.find((s) => s.error !== undefined);
  if (failed !== undefined) throw withProgress(failed.error, failed.delivered, failed.backlog);
  if (readError !== undefined) throw withProgress(readError, share?.delivered ?? 0, share?.backlog ?? 0);
  const clock = plan.clock();
  const { stats } = plan;
  return {
    serial: plan.serial,
    outcome: (share?.delivered ?? 0) > 0 ? "posted" : "nothing-new",
    newRecords: stats.newRecords,
    backfillRecords: stats.backfillRecords,
    skipped: { ...stats.skipped },
    posted: share?.delivered ?? 0,
    posts: share?.requests ?? 0,
    wouldPost: [],
    cursorBefore: share?.cursorBefore,
    cursorAfter: share?.cursorAfter,
    discontinuities: plan.discontinuities,
    problems: stats.problems,
    pagesRead: stats.pagesRead,
    backlog: share?.backlog ?? 0,
    held: share?.held ?? 0,
    quarantined: share?.quarantined ?? 0,
    clockSuspect: share?.clockSuspect ?? false,
    lastReading: stats.lastReading,
    newestIndex: stats.newestIndex,
    clock: { offsetSeconds: clock.offsetSeconds, replaced: clock.heldReplaced, source: clock.clock.source },
    sinks,
  };
}

/**
 * Share is the clock and cannot be reached: nothing can be stamped, so nothing is delivered, but the
 * read says how many readings wait for it (the backlog `status` and /metrics show). The error is
 * Share's (the cycle waits for Share, exit code 5), with that backlog.
 */
async function waitingForClock(plan: CyclePlan): Promise<unknown> {
  let waiting = 0;
  for await (const readings of plan.readings) {
    for (const reading of readings) {
      if (isPostable(reading) && plan.isNew(SHARE_SINK_NAME, reading)) waiting++;
    }
  }
  return withProgress(plan.clockUnavailable, 0, waiting);
}

/** A dry run: the plan alone. Reads and classifies what a cycle would deliver; writes nothing. */
export async function planOnly(deps: CycleDeps, options: CycleOptions): Promise<CycleReport> {
  const plan = await planCycle(planInput(deps, options, true));
  const wouldPost: ShareEgv[] = [];
  for await (const readings of plan.readings) {
    for (const reading of readings) {
      if (isPostable(reading) && plan.isNew(SHARE_SINK_NAME, reading)) wouldPost.push(toShareEgv(reading));
    }
  }
  const cursor = plan.cursor(SHARE_SINK_NAME, "egv");
  const clock = plan.clock();
  const { stats } = plan;
  return {
    serial: plan.serial,
    outcome: "dry-run",
    newRecords: stats.newRecords,
    backfillRecords: stats.backfillRecords,
    skipped: { ...stats.skipped },
    posted: 0,
    posts: 0,
    wouldPost,
    cursorBefore: cursor,
    cursorAfter: cursor,
    discontinuities: plan.discontinuities,
    problems: stats.problems,
    pagesRead: stats.pagesRead,
    backlog: wouldPost.length,
    held: 0,
    quarantined: 0,
    clockSuspect: false,
    lastReading: stats.lastReading,
    newestIndex: stats.newestIndex,
    clock: { offsetSeconds: clock.offsetSeconds, replaced: clock.heldReplaced, source: clock.clock.source },
    sinks: [],
  };
}
