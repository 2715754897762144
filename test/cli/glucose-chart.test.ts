import { describe, expect, it } from "vitest";
import { renderGlucoseChart } from "../../src/cli/glucose-chart.js";

const utc = (ms: number, withDate: boolean) =>
  new Date(ms)
    .toISOString()
    .slice(withDate ? 5 : 11, 16)
    .replace("T", " ");

describe("glucose chart", () => {
  it("draws one column per time slot, each value on the row of its zone, the axis in mg/dL", () => {
    const from = Date.UTC(2026, 10, 24, 9, 0);
    const points = [
      { tMs: from, mgdl: 40 },
      { tMs: from + 15 * 60_000, mgdl: 58 }, // low: below the target range, never inside it
      { tMs: from + 30 * 60_000, mgdl: 70 },
      { tMs: from + 45 * 60_000, mgdl: 120 },
      { tMs: from + 60 * 60_000, mgdl: 180 },
      { tMs: from + 75 * 60_000, mgdl: 185 },
      { tMs: from + 90 * 60_000, mgdl: 500 }, // HIGH: drawn at the top
      { tMs: from - 60_000, mgdl: 100 }, // before the window: not drawn
    ];
    const chart = renderGlucoseChart(points, {
      fromMs: from,
      toMs: from + 120 * 60_000,
      width: 8,
      height: 10,
      formatTime: utc,
    });
    expect(chart).toBe(
      [
        " mg/dL",
        " 400 │      •",
        "     │",
        "     │",
        "     │     •",
        " 180 ┃    •",
        "     ┃",
        "     ┃   •",
        "  70 ┃  •",
        "     │ •",
        "  40 │•",
        "     └────────",
        "      09:00 11:00",
        "",
      ].join("\n"),
    );
  });

  it("labels the value axis in mmol/L, one decimal, when asked", () => {
    const from = Date.UTC(2026, 10, 24, 9, 0);
    const chart = renderGlucoseChart([{ tMs: from, mgdl: 120 }], {
      fromMs: from,
      toMs: from + 60 * 60_000,
      width: 4,
      height: 10,
      formatTime: utc,
      unit: "mmol/L",
    });
    expect(chart.split("\n").filter((line) => /^ \S|^ {0,3}\d/.test(line))).toEqual([
      " mmol/L",
      "22.2 │",
      "10.0 ┃",
      " 3.9 ┃",
      " 2.2 │",
    ]);
  });

  it("shows the date at both ends of a 24 h axis, so they differ", () => {
    const to = Date.UTC(2026, 10, 24, 9, 0);
    const chart = renderGlucoseChart([], {
      fromMs: to - 86_400_000,
      toMs: to,
      width: 24,
      height: 6,
      formatTime: utc,
    });
    expect(chart.split("\n").at(-2)).toBe("      11-23 09:00  11-24 09:00");
  });
});
