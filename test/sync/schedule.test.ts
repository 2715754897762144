import { describe, expect, it } from "vitest";
import { backoffMs, nextWakeMs } from "../../src/sync/schedule.js";

const NOW = 1_800_000_000_000;
const wake = (lastAgoSeconds: number | undefined, intervalSeconds = 300) =>
  (nextWakeMs({
    nowMs: NOW,
    lastReadingUtcMs: lastAgoSeconds === undefined ? undefined : NOW - lastAgoSeconds * 1000,
    readingIntervalSeconds: intervalSeconds,
  }) -
    NOW) /
  1000;

describe("when the daemon wakes", () => {
  it("5 s after the next reading is due, from the receiver's own timestamps", () => {
    expect(wake(0)).toBe(305);
    expect(wake(60)).toBe(245);
    expect(wake(299)).toBe(6);
  });

  it("every 10 s while the reading is only a little late, then every minute", () => {
    expect(wake(302)).toBe(3); // not yet past the margin
    expect(wake(306)).toBe(10);
    expect(wake(419)).toBe(10);
    expect(wake(421)).toBe(60);
    expect(wake(5000)).toBe(60);
    expect(wake(undefined)).toBe(60);
  });

  it("never sleeps more than one interval, even for a reading stamped in the future", () => {
    expect(wake(-3600)).toBe(305);
  });

  it("scales with a short test cadence", () => {
    expect(wake(0, 2)).toBe(2.2);
    expect(wake(2.3, 2)).toBe(0.25);
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
