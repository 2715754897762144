/**
 * The reference clock: where true UTC comes from for this cycle (DESIGN.md §5).
 *
 * - `host`: the host clock, when it is synchronised (`host-sync.ts`);
 * - `reference`: otherwise, a supplied reference such as Share's `General/SystemUtcTime`
 *   (share-api §5), measured like the receiver anchor: server UTC against the midpoint of the HTTP
 *   round trip, giving a correction to add to the host clock;
 * - `unsynchronised-host`: neither is available. The host clock is all there is; the clock model
 *   refuses to stamp readings for Share from it (CLOCK_UNSYNCHRONISED) and only display/export
 *   callers may opt in, saying so in their output.
 */
import type { HostSyncState } from "./host-sync.js";

export type ReferenceKind = "host" | "reference" | "unsynchronised-host";

export interface TrueClock {
  readonly kind: ReferenceKind;
  /** Human-readable origin: "host (systemd-timesyncd)", "share SystemUtcTime", … */
  readonly source: string;
  /** True UTC − host clock, ms (0 for the host clock itself). */
  readonly correctionMs: number;
  readonly synchronised: boolean;
}

/** One reading of an external UTC source, with the host times around the request. */
export interface ReferenceSample {
  readonly utcMs: number;
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
  /** E.g. "share SystemUtcTime". */
  readonly source: string;
}

export interface ResolveTrueClockOptions {
  /** The host's state, from `detectHostSync`. */
  readonly hostSync: HostSyncState;
  /** Asked only when the host is not synchronised. A rejection counts as "no reference". */
  readonly reference?: (() => Promise<ReferenceSample>) | undefined;
  /**
   * Largest round trip accepted for a reference sample, ms (default 4000): the midpoint is then within
   * ±2 s, the same tolerance as the held offset.
   */
  readonly maxRoundTripMs?: number;
}

export interface ResolvedTrueClock {
  readonly clock: TrueClock;
  /** Why the reference was not used, when it was asked and failed. */
  readonly referenceError?: string;
  /** What the reference threw, when it threw (it could not be reached at all). */
  readonly referenceFailure?: unknown;
}

export const DEFAULT_MAX_ROUND_TRIP_MS = 4000;

/** True UTC at a host-clock instant. */
export function trueUtcMs(clock: TrueClock, hostMs: number): number {
  return hostMs + clock.correctionMs;
}

export async function resolveTrueClock(options: ResolveTrueClockOptions): Promise<ResolvedTrueClock> {
  const { hostSync } = options;
  if (hostSync.synchronised) {
    return {
      clock: { kind: "host", source: `host (${hostSync.source})`, correctionMs: 0, synchronised: true },
    };
  }
  const unsynchronised: TrueClock = {
    kind: "unsynchronised-host",
    source: `host, not synchronised (${hostSync.detail})`,
    correctionMs: 0,
    synchronised: false,
  };
  if (options.reference === undefined) return { clock: unsynchronised };
  let sample: ReferenceSample;
  try {
    sample = await options.reference();
  } catch (error) {
    return {
      clock: unsynchronised,
      referenceError: error instanceof Error ? error.message : String(error),
      referenceFailure: error,
    };
  }
  const correction = referenceCorrectionMs(sample, options.maxRoundTripMs ?? DEFAULT_MAX_ROUND_TRIP_MS);
  if (typeof correction === "string") return { clock: unsynchronised, referenceError: correction };
  return {
    clock: { kind: "reference", source: sample.source, correctionMs: correction, synchronised: true },
  };
}

/** UTC − host midpoint of the round trip, or why the sample is unusable. */
export function referenceCorrectionMs(sample: ReferenceSample, maxRoundTripMs: number): number | string {
  const { utcMs, sentAtMs, receivedAtMs } = sample;
  if (![utcMs, sentAtMs, receivedAtMs].every(Number.isFinite)) return "reference sample is not a number";
  const roundTrip = receivedAtMs - sentAtMs;
  if (roundTrip < 0) return "host clock stepped backwards during the reference request";
  if (roundTrip > maxRoundTripMs) return `reference round trip ${roundTrip} ms exceeds ${maxRoundTripMs} ms`;
  // Share answers in whole milliseconds of its own UTC clock; anything before 2009 is not a clock.
  if (utcMs < Date.UTC(2009, 0, 1)) return "reference time is before 2009";
  return Math.round(utcMs - (sentAtMs + roundTrip / 2));
}
