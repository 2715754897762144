/**
 * The clock model of one cycle (DESIGN.md §5), composed from its parts:
 *
 *   reference clock (host if synchronised, else e.g. Share SystemUtcTime)   reference-clock.ts
 *        + timed ReadSystemTime ──► anchor: offset = utc − (epoch2009 + systemSeconds)   anchor.ts
 *        + held offset from the state store ──► offset in force (moves only beyond 2 s)  held-offset.ts
 *        ──► per record: ST / DT / TA / WT in the chosen mode                            share-times.ts
 *
 * The sync engine calls `clockForCycle` once per cycle after `callTimed(ReadSystemTime)`, persists
 * `held`, and stamps each reading with `stamp`. Readings are never stamped from an unsynchronised
 * clock: without a synchronised host or a reference, `clockForCycle` throws CLOCK_UNSYNCHRONISED,
 * unless the caller only displays or exports times and opts in with `allowUnsynchronised` (then
 * `synchronised` is false, the held offset is left untouched, and the caller must say so).
 */
import { SharebridgeError } from "../errors.js";
import { type ClockAnchor, measureAnchor, type SystemTimeSample } from "./anchor.js";
import { type HeldOffset, HOLD_TOLERANCE_SECONDS, updateHeldOffset } from "./held-offset.js";
import type { TrueClock } from "./reference-clock.js";
import {
  type RecordTimes,
  readingSystemSeconds,
  type ShareTimes,
  shareTimes,
  type TimeMode,
} from "./share-times.js";

export interface CycleClockOptions {
  /** Default "corrected". */
  readonly mode?: TimeMode;
  /** The held offset from the state store (undefined on the first cycle for a receiver). */
  readonly held?: HeldOffset | undefined;
  /** For display/export only: stamp from an unsynchronised host instead of refusing. */
  readonly allowUnsynchronised?: boolean;
  /** Default 2 s (DESIGN.md §5). */
  readonly toleranceSeconds?: number;
}

export interface CycleClock {
  readonly anchor: ClockAnchor;
  readonly clock: TrueClock;
  /** Whether the times are true UTC (false only with `allowUnsynchronised`). */
  readonly synchronised: boolean;
  readonly mode: TimeMode;
  /** The offset in force this cycle (whole seconds): the held value. */
  readonly offsetSeconds: number;
  /** What to persist; equal to the input when not replaced. */
  readonly held: HeldOffset | undefined;
  /** True when this cycle replaced (or first set) the held offset. */
  readonly heldReplaced: boolean;
  /** This cycle's measurement minus the held value it was compared with, seconds. */
  readonly movedSeconds: number;
  /** ST/DT/TA/WT of a record. */
  stamp(record: RecordTimes): ShareTimes;
  /**
   * Seconds the record's reading time lies after the anchor (0 when not after). A reading from the
   * future of the receiver's own clock means the clock jumped back (spec §6.3: sanity check).
   */
  aheadOfAnchorSeconds(record: RecordTimes): number;
}

export function clockForCycle(
  sample: SystemTimeSample,
  clock: TrueClock,
  options: CycleClockOptions = {},
): CycleClock {
  if (!clock.synchronised && options.allowUnsynchronised !== true) {
    throw new SharebridgeError("CLOCK_UNSYNCHRONISED", "no synchronised clock to stamp readings with", {
      source: clock.source,
    });
  }
  const anchor = measureAnchor(sample, clock);
  const mode = options.mode ?? "corrected";
  let held = options.held;
  let heldReplaced = false;
  let movedSeconds = 0;
  let offsetSeconds: number;
  if (clock.synchronised) {
    const update = updateHeldOffset(
      options.held,
      anchor.offsetSeconds,
      anchor.utcMs,
      options.toleranceSeconds ?? HOLD_TOLERANCE_SECONDS,
    );
    held = update.held;
    heldReplaced = update.replaced;
    movedSeconds = update.movedSeconds;
    offsetSeconds = update.held.offsetSeconds;
  } else {
    // Export from an unsynchronised host: this cycle's measurement, never persisted.
    offsetSeconds = Math.round(anchor.offsetSeconds) + 0;
  }
  return {
    anchor,
    clock,
    synchronised: clock.synchronised,
    mode,
    offsetSeconds,
    held,
    heldReplaced,
    movedSeconds,
    stamp: (record) => shareTimes(record, offsetSeconds, mode),
    aheadOfAnchorSeconds: (record) => Math.max(0, readingSystemSeconds(record) - anchor.systemSeconds),
  };
}
