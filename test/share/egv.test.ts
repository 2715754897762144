/** Batching and the post body (share-api §6.1, §6.4). */
import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { GLUCOSE_HIGH_MG_DL, GLUCOSE_LOW_MG_DL } from "../../src/records/glucose.js";
import {
  assertSerial,
  planBatches,
  postBody,
  postedTrend,
  type ShareEgv,
  shareEgv,
  shareSerial,
} from "../../src/share/egv.js";

const at = (st: number, ta = 0, glucose = 100): ShareEgv => ({
  stSeconds: st,
  dtSeconds: st - 3600,
  taSeconds: ta,
  glucose,
  trend: 4,
});

const T = 1_700_000_000;

describe("planBatches", () => {
  it("cuts 120 readings into 50 + 50 + 20, oldest first", () => {
    const input = Array.from({ length: 120 }, (_, i) => at(T + (119 - i) * 300));
    const batches = planBatches(input);
    expect(batches.map((b) => b.readings.length)).toEqual([50, 50, 20]);
    const flat = batches.flatMap((b) => b.readings.map((r) => r.stSeconds));
    expect(flat).toEqual([...flat].sort((a, b) => a - b));
    expect(flat[0]).toBe(T);
  });

  it("starts a new batch when TA changes and keeps equal STs in input order", () => {
    const batches = planBatches([at(T + 600, 7), at(T, 0, 101), at(T, 0, 102), at(T + 300, 0)]);
    expect(batches.map((b) => [b.taSeconds, b.readings.map((r) => r.glucose)])).toEqual([
      [0, [101, 102, 100]],
      [7, [100]],
    ]);
  });

  it("returns no batch for no reading", () => {
    expect(planBatches([])).toEqual([]);
  });

  it.each([
    ["glucose 38", { glucose: 38 }, "glucose"],
    ["glucose 401.5", { glucose: 401.5 }, "glucose"],
    ["glucose 402 (a HIGH reading is posted as 401, share-api §18.4)", { glucose: 402 }, "glucose"],
    ["ST before 2009", { stSeconds: 1_000_000_000 }, "stSeconds"],
    ["DT after 2100", { dtSeconds: 4_200_000_000 }, "dtSeconds"],
    ["TA not whole", { taSeconds: 0.5 }, "taSeconds"],
  ])("refuses %s, naming the reading and field", (_title, patch, field) => {
    try {
      planBatches([at(T), { ...at(T + 300), ...patch }]);
      expect.unreachable();
    } catch (error) {
      expect(isSharebridgeError(error, "SHARE_INPUT_INVALID")).toBe(true);
      expect((error as { context: unknown }).context).toMatchObject({ index: 1, field });
    }
  });
});

describe("post body", () => {
  it("matches the documented example (share-api §6.1)", () => {
    const [batch] = planBatches([
      { stSeconds: 1700000000, dtSeconds: 1700000000, taSeconds: 0, glucose: 112, trend: 4 },
      { stSeconds: 1700000300, dtSeconds: 1700000300, taSeconds: 0, glucose: 118, trend: 3 },
    ]);
    if (batch === undefined) throw new Error("no batch");
    expect(JSON.stringify(postBody("SM12345678", batch))).toBe(
      '{"SN":"SM12345678","TA":0,"Egvs":[' +
        '{"ST":"/Date(1700000000000)/","DT":"/Date(1700000000000)/","Value":112,"Trend":4},' +
        '{"ST":"/Date(1700000300000)/","DT":"/Date(1700000300000)/","Value":118,"Trend":3}]}',
    );
  });

  it("builds readings from the clock model's output", () => {
    expect(shareEgv({ stMs: 1_700_000_000_000, dtMs: 1_699_985_600_000, ta: -14365 }, 99, 4)).toEqual({
      stSeconds: 1_700_000_000,
      dtSeconds: 1_699_985_600,
      taSeconds: -14365,
      glucose: 99,
      trend: 4,
    });
  });

  it("posts trends 0..7 as they are and 8, 9 and anything else as 0 (share-api §18.1)", () => {
    const trends = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1, 4.5, Number.NaN];
    const [batch] = planBatches(trends.map((trend, i) => ({ ...at(T + i * 300), trend })));
    if (batch === undefined) throw new Error("no batch");
    const body = postBody("SM12345678", batch) as { Egvs: { Trend: number }[] };
    expect(body.Egvs.map((e) => e.Trend)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0]);
    expect(trends.map(postedTrend)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0]);
  });

  it("takes the glucose bounds from the receiver's LOW and HIGH markers (share-api §18.4)", () => {
    expect([GLUCOSE_LOW_MG_DL, GLUCOSE_HIGH_MG_DL]).toEqual([39, 401]);
    const batches = planBatches([at(T, 0, 39), at(T + 300, 0, 401)]);
    expect(batches.flatMap((b) => b.readings.map((r) => r.glucose))).toEqual([39, 401]);
  });

  it("upper-cases the serial in the body (share-api §18.2)", () => {
    const [batch] = planBatches([at(T)]);
    if (batch === undefined) throw new Error("no batch");
    expect((postBody("sm30140752", batch) as { SN: string }).SN).toBe("SM30140752");
    expect(shareSerial("sm30140752")).toBe("SM30140752");
  });

  it("checks serials", () => {
    expect(() => assertSerial("SM12345678")).not.toThrow();
    for (const bad of ["", "SM 1", "SM/1", "x".repeat(33)]) expect(() => assertSerial(bad)).toThrow(/serial/);
  });
});
