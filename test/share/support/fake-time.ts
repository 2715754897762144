/**
 * Driving fake timers while real loopback I/O happens: advance the fake clock one step, then give
 * the event loop a few real milliseconds for sockets, repeat until the promise settles.
 *
 * Only setTimeout/clearTimeout and Date are faked (vi.useFakeTimers({ toFake: FAKED })), so node's
 * own socket timers and setImmediate keep running; the real setTimeout is captured before faking.
 */
import { vi } from "vitest";

export const FAKED = ["setTimeout", "clearTimeout", "Date"] as const;

const realSetTimeout = globalThis.setTimeout;
const realPause = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

export function useFakeTime(startMs: number): void {
  vi.useFakeTimers({ toFake: [...FAKED], now: startMs });
}

/**
 * Fake time from `startMs`, and p-retry's jitter fixed: it multiplies each delay by
 * (1 + Math.random()), so 0.5 makes the schedule exact (5 s → 7.5 s, 30 s → 45 s, ...).
 */
export function useFakeTimeWithExactBackOff(startMs: number): void {
  useFakeTime(startMs);
  vi.spyOn(Math, "random").mockReturnValue(0.5);
}

/** Undoes useFakeTimeWithExactBackOff. */
export function useRealTime(): void {
  vi.restoreAllMocks();
  vi.useRealTimers();
}

/** Silence timeouts longer than a test's fake minutes: only what the test is about may end a call. */
export const TIMEOUTS_BEYOND_FAKE_TIME = { connectMs: 600_000, headersMs: 600_000, bodyMs: 600_000 } as const;

/** Whether `promise` has settled, as a function to ask. */
function watch(promise: Promise<unknown>): () => boolean {
  let settled = false;
  const done = () => {
    settled = true;
  };
  promise.then(done, done);
  return () => settled;
}

/** Advances fake time in `stepMs` steps until `promise` settles; fails after `maxMs` of fake time. */
export async function settle<T>(promise: Promise<T>, maxMs: number, stepMs = 1_000): Promise<T> {
  const settled = watch(promise);
  let advanced = 0;
  await realPause(5);
  while (!settled()) {
    if (advanced >= maxMs) throw new Error(`still pending after ${maxMs} ms of fake time`);
    await vi.advanceTimersByTimeAsync(stepMs);
    advanced += stepMs;
    await realPause(3);
  }
  return promise;
}

/** Advances fake time by `ms` while letting real I/O run. */
export async function pass(ms: number, stepMs = 10_000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, ms - done));
    await realPause(1);
  }
}

/**
 * Advances fake time by exactly `ms`, then lets real loopback I/O finish (bounded) and reports
 * whether `promise` settled by then. Fake time does not move while waiting, so anything observed
 * happened at exactly `ms`.
 */
export async function advanceExactly(
  promise: Promise<unknown>,
  ms: number,
  realWaitMs = 500,
): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await vi.advanceTimersByTimeAsync(ms);
  for (let waited = 0; !settled && waited < realWaitMs; waited += 5) await realPause(5);
  return settled;
}
