import { describe, expect, it } from "vitest";
import { backoffMs, nextWake } from "../../src/sync/schedule.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";

const NOW = TEST_EPOCH_MS;
/** [seconds until the wake, seconds until the probes stop (or null: a cycle), probe interval s]. */
const wake = (lastAgoSeconds: number | undefined, intervalSeconds = 300) => {
  const w = nextWake({
    nowMs: NOW,
    lastReadingUtcMs: lastAgoSeconds === undefined ? undefined : NOW - lastAgoSeconds * 1000,
    readingIntervalSeconds: intervalSeconds,
  });
  return [
    (w.atMs - NOW) / 1000,
    w.probeUntilMs === undefined ? null : (w.probeUntilMs - NOW) / 1000,
    w.probeIntervalMs / 1000,
  ];
};

describe("when the daemon wakes", () => {
  it("1 s before the next reading is due, to probe every 0.5 s until 6 s after it", () => {
    expect(wake(0)).toEqual([299, 306, 0.5]);
    expect(wake(60)).toEqual([239, 246, 0.5]);
    expect(wake(298)).toEqual([1, 8, 0.5]);
  });

  it("inside the probe window: probe again in 0.5 s", () => {
    expect(wake(299)).toEqual([0.5, 7, 0.5]);
    expect(wake(305.9)).toEqual([0.5, 0.1, 0.5]);
  });

  it("after the probes, a cycle every 10 s while the reading is only a little late, then every minute", () => {
    expect(wake(306)).toEqual([10, null, 0.5]);
    expect(wake(419)).toEqual([10, null, 0.5]);
    expect(wake(421)).toEqual([60, null, 0.5]);
    expect(wake(5000)).toEqual([60, null, 0.5]);
    expect(wake(undefined)).toEqual([60, null, 0.5]);
  });

  it("never sleeps more than one interval, even for a reading stamped in the future", () => {
    expect(wake(-3600)).toEqual([300, null, 0.5]);
  });

  it("keeps the 300 s margins from a 30 s cadence up, and shrinks them in proportion below", () => {
    expect(wake(0, 30)).toEqual([29, 36, 0.5]);
    expect(wake(0, 2)).toEqual([1.933, 2.4, 0.033]);
    expect(wake(2.5, 2)).toEqual([0.25, null, 0.033]);
  });
});

describe("back-off", () => {
  it("grows from the minimum to the ceiling, spread by the random draw", () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffMs(a, 30_000, 600_000, () => 1))).toEqual([
      30_000, 60_000, 120_000, 240_000, 600_000,
    ]);
    expect(backoffMs(3, 30_000, 600_000, () => 0)).toBe(30_000);
    expect(backoffMs(3, 30_000, 600_000, () => 0.5)).toBe(135_000);
  });
});
