/**
 * Where true UTC comes from, cycle after cycle (DESIGN.md §5): the host clock while it is
 * synchronised, otherwise a reference such as Share's `General/SystemUtcTime`.
 *
 * Asking the host whether it is synchronised runs commands (timedatectl, chronyc…), so the answer is
 * kept for a minute; `invalidate()` drops it at once, e.g. after a cycle refused an unsynchronised clock.
 */
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { HostSyncState } from "./host-sync.js";
import { type ReferenceSample, resolveTrueClock, type TrueClock } from "./reference-clock.js";

/** How long an answer of the host's synchronisation probe is kept, ms. */
export const HOST_SYNC_CACHE_MS = 60_000;

export interface TrueClockSourceOptions {
  /** Whether the host clock is synchronised (host-sync.ts). */
  readonly hostSync: () => Promise<HostSyncState>;
  /** Asked only when the host is not synchronised; a rejection means "no reference". */
  readonly reference?: ((signal?: AbortSignal) => Promise<ReferenceSample>) | undefined;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface TrueClockSource {
  /**
   * The clock to anchor this cycle against (unsynchronised when neither source is usable). When the
   * host is not synchronised and the reference could not be reached at all, throws what the reference
   * threw: with Share as the clock and Share down, the cycle is waiting for Share, not for NTP.
   * `signal` ends a reference request in flight (a stop must not wait for a slow Share).
   */
  get(signal?: AbortSignal): Promise<TrueClock>;
  /** Forget the cached host answer: ask again next time. */
  invalidate(): void;
}

export function trueClockSource(options: TrueClockSourceOptions): TrueClockSource {
  let cached: { value: HostSyncState; atMs: number } | undefined;
  return {
    async get(signal) {
      const now = options.clock.now();
      if (cached === undefined || now - cached.atMs > HOST_SYNC_CACHE_MS) {
        cached = { value: await options.hostSync(), atMs: now };
      }
      const { reference } = options;
      const resolved = await resolveTrueClock({
        hostSync: cached.value,
        reference: reference === undefined ? undefined : () => reference(signal),
      });
      if (resolved.referenceError !== undefined) {
        options.log.debug({ reason: resolved.referenceError }, "the reference clock could not be used");
      }
      if (resolved.referenceFailure !== undefined) throw resolved.referenceFailure;
      return resolved.clock;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
