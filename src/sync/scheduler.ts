/**
 * The daemon's loop (DESIGN.md §7): one step, then a sleep as long as the step asked for, until the
 * daemon's signal aborts; and a watchdog that notices when the loop itself stops moving (a step stuck
 * somewhere no timeout reaches), so that the process can exit and systemd start a fresh one.
 */
import { type Clock, sleep, systemClock, systemTimers, type TimerHandle, type Timers } from "../clock.js";
import type { Logger } from "../log.js";

/** The daemon's time: wall clock and sleeps. Tests give one whose sleep moves a fake clock. */
export interface DaemonClock extends Clock {
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realDaemonClock: DaemonClock = {
  now: () => systemClock.now(),
  sleep: (ms, signal) => sleep(ms, signal, systemTimers),
};

export interface SchedulerOptions {
  readonly clock: DaemonClock;
  /** For the watchdog (real timers by default: it must fire even when the loop is stuck). */
  readonly timers?: Timers;
  /** The loop made no progress for this long, ms. */
  readonly stallMs: number;
  /** Called once when the loop stalls. */
  readonly onStall?: (() => void) | undefined;
  /** Told when the loop goes to sleep and until when (for `status`). */
  readonly onSleep?: ((wakeAtMs: number) => void) | undefined;
  readonly log: Logger;
}

/** How often the watchdog looks, at most, ms. */
const WATCHDOG_PERIOD_MS = 60_000;

/**
 * Runs `step` (which returns how long to sleep, ms) until `signal` aborts. Resolves after the last
 * step returned; never rejects for what a step throws (a step must handle its own failures).
 */
export async function runLoop(
  step: (signal: AbortSignal) => Promise<number>,
  signal: AbortSignal,
  options: SchedulerOptions,
): Promise<void> {
  const { clock } = options;
  const timers = options.timers ?? systemTimers;
  let lastProgressAtMs = clock.now();
  let handle: TimerHandle | undefined;
  let stalled = false;
  const watch = () => {
    const quietMs = clock.now() - lastProgressAtMs;
    if (quietMs > options.stallMs) {
      stalled = true;
      options.log.fatal({ stalledForMs: quietMs }, "the sync loop stalled");
      options.onStall?.();
      return;
    }
    handle = timers.setTimeout(watch, Math.min(options.stallMs, WATCHDOG_PERIOD_MS));
    (handle as { unref?: () => void }).unref?.();
  };
  watch();
  try {
    while (!signal.aborted && !stalled) {
      lastProgressAtMs = clock.now();
      const waitMs = Math.max(0, await step(signal));
      if (signal.aborted) break;
      options.onSleep?.(clock.now() + waitMs);
      await clock.sleep(waitMs, signal);
    }
  } finally {
    if (handle !== undefined) timers.clearTimeout(handle);
  }
}
