/**
 * Time as the program sees it, injected everywhere (with errors.ts and log.ts, a root module every
 * layer may import). Production code never calls `Date.now()` or `setTimeout` directly where a test
 * would need to control them: it takes a `Clock` (wall time) and, where it waits, `Timers`.
 *
 * Tests pass a fake (a fixed epoch they move by hand, timers they fire), so that the suite passes at
 * any hour and needs no real sleeps.
 */

export interface Clock {
  /** Wall-clock time, Unix epoch milliseconds. */
  now(): number;
}

/** A timer handle, opaque to callers. */
export type TimerHandle = unknown;

export interface Timers {
  /** Calls `callback` once after `ms`; the handle is for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The host's clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Node's timers. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Resolves after `ms`, or early (without error) when `signal` aborts. Never rejects, so a loop that
 * sleeps checks `signal.aborted` itself afterwards.
 */
export function sleep(ms: number, signal?: AbortSignal, timers: Timers = systemTimers): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted === true) return resolve();
    const handle = timers.setTimeout(done, Math.max(0, ms));
    function done() {
      timers.clearTimeout(handle);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
