import { describe, expect, it } from "vitest";
import { SharebridgeError } from "../../src/errors.js";
import type { ShareEgv } from "../../src/share/egv.js";
import type { ParsedReadings } from "../../src/share/readings.js";
import { shiftOnShare } from "../../src/sync/offset-recovery.js";

const T0 = 1_800_000_000;
/** Twelve readings five minutes apart, as this cycle would post them. */
const toPost: ShareEgv[] = Array.from({ length: 12 }, (_, i) => ({
  stSeconds: T0 + i * 300,
  dtSeconds: T0 + i * 300,
  taSeconds: 0,
  glucose: 100 + i,
  trend: 4,
}));

function onShare(readings: { st: number; glucose: number }[]): ParsedReadings {
  return {
    skipped: 0,
    readings: readings.map(({ st, glucose }) => ({
      wtMs: st * 1000,
      stMs: st * 1000,
      dtMs: st * 1000,
      dtOffsetMinutes: 0,
      glucose,
      trend: 4,
      trendName: "Flat",
    })),
  };
}

const share = (answer: ParsedReadings | Error) => ({
  readLatestGlucose: async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  },
});
const shifted = (shift: number, count: number) =>
  toPost.slice(0, count).map((e) => ({ st: e.stSeconds + shift, glucose: e.glucose }));

describe("shiftOnShare", () => {
  it("takes the shift at which at least three readings on Share are this receiver's", async () => {
    expect(await shiftOnShare(share(onShare(shifted(1, 3))), toPost, 24)).toBe(1);
    expect(await shiftOnShare(share(onShare(shifted(-2, 8))), toPost, 24)).toBe(-2);
  });

  it("keeps the fresh measurement: same second, too few, ties, other values, beyond the tolerance", async () => {
    expect(await shiftOnShare(share(onShare(shifted(0, 8))), toPost, 24)).toBeUndefined();
    expect(await shiftOnShare(share(onShare(shifted(1, 2))), toPost, 24)).toBeUndefined();
    // Three readings at +1 s and three others at −1 s: no single answer.
    const tie = [...shifted(1, 3), ...shifted(-1, 6).slice(3)];
    expect(await shiftOnShare(share(onShare(tie)), toPost, 24)).toBeUndefined();
    // Four at +1 s outvote three at +2 s.
    const outvoted = [...shifted(1, 4), ...shifted(2, 7).slice(4)];
    expect(await shiftOnShare(share(onShare(outvoted)), toPost, 24)).toBe(1);
    const otherValues = shifted(1, 8).map((r) => ({ ...r, glucose: r.glucose + 1 }));
    expect(await shiftOnShare(share(onShare(otherValues)), toPost, 24)).toBeUndefined();
    expect(await shiftOnShare(share(onShare(shifted(3, 8))), toPost, 24)).toBeUndefined();
    expect(await shiftOnShare(share(onShare([])), toPost, 24)).toBeUndefined();
  });

  it("an unusable read answer leaves the measurement; Share being down is the caller's to handle", async () => {
    const protocol = new SharebridgeError("SHARE_PROTOCOL", "not an array");
    expect(await shiftOnShare(share(protocol), toPost, 24)).toBeUndefined();
    const down = new SharebridgeError("SHARE_UNAVAILABLE", "503");
    await expect(shiftOnShare(share(down), toPost, 24)).rejects.toBe(down);
  });

  it("asks for the backfill window, at most a day, and 24 readings", async () => {
    const asked: unknown[] = [];
    const spy = {
      readLatestGlucose: async (options: unknown) => {
        asked.push(options);
        return onShare([]);
      },
    };
    await shiftOnShare(spy, toPost, 3);
    await shiftOnShare(spy, toPost, 720);
    expect(asked).toEqual([
      { minutes: 180, maxCount: 24, signal: undefined },
      { minutes: 1440, maxCount: 24, signal: undefined },
    ]);
  });
});
