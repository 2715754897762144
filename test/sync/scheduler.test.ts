/**
 * The daemon's loop and its watchdog, on fake timers: a step that never returns is reported once as a
 * stall; a loop that keeps stepping is not; the loop stops on its signal.
 */
import { describe, expect, it } from "vitest";
import type { Timers } from "../../src/clock.js";
import { silentLogger } from "../../src/log.js";
import { type DaemonClock, runLoop } from "../../src/sync/scheduler.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";

/** Timers fired by hand, on the same fake clock as the loop. */
function fakeTime() {
  const time = { now: TEST_EPOCH_MS };
  const pending = new Map<number, { at: number; callback: () => void }>();
  let next = 0;
  const timers: Timers = {
    setTimeout(callback, ms) {
      pending.set(++next, { at: time.now + ms, callback });
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  /** Moves the clock and fires what is due, in order. */
  const advance = (ms: number) => {
    const until = time.now + ms;
    for (;;) {
      const due = [...pending.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      pending.delete(due[0]);
      time.now = due[1].at;
      due[1].callback();
    }
    time.now = until;
  };
  const clock: DaemonClock = {
    now: () => time.now,
    sleep: async (ms) => {
      time.now += ms;
    },
  };
  return { time, timers, advance, clock, pending };
}

describe("the daemon's loop", () => {
  it("reports a step that never returns as a stall, once", async () => {
    const t = fakeTime();
    let stalls = 0;
    const controller = new AbortController();
    void runLoop(() => new Promise<number>(() => undefined), controller.signal, {
      clock: t.clock,
      timers: t.timers,
      stallMs: 900_000,
      onStall: () => stalls++,
      log: silentLogger,
    });
    t.advance(899_999);
    expect(stalls).toBe(0);
    t.advance(120_000);
    expect(stalls).toBe(1);
    t.advance(3_600_000);
    expect(stalls).toBe(1);
    expect(t.pending.size).toBe(0);
    controller.abort();
  });

  it("a loop that keeps stepping never stalls, sleeps what each step asks, and stops on its signal", async () => {
    const t = fakeTime();
    let stalls = 0;
    const wakes: number[] = [];
    const controller = new AbortController();
    let steps = 0;
    await runLoop(
      async () => {
        steps++;
        t.advance(0);
        if (steps === 40) controller.abort();
        return 300_000;
      },
      controller.signal,
      {
        clock: t.clock,
        timers: t.timers,
        stallMs: 900_000,
        onStall: () => stalls++,
        onSleep: (at) => wakes.push(at - TEST_EPOCH_MS),
        log: silentLogger,
      },
    );
    expect(steps).toBe(40);
    expect(stalls).toBe(0);
    expect(wakes).toEqual(Array.from({ length: 39 }, (_, i) => (i + 1) * 300_000));
    expect(t.pending.size).toBe(0);
  });
});
