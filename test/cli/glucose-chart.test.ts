import { describe, expect, it } from "vitest";
import { renderGlucoseChart } from "../../src/cli/glucose-chart.js";

describe("glucose chart", () => {
  it("draws one column per time slot on a 40–400 mg/dL scale with the target range marked", () => {
    const from = Date.UTC(2026, 10, 24, 9, 0);
    const points = [
      { tMs: from, mgdl: 40 },
      { tMs: from + 30 * 60_000, mgdl: 120 },
      { tMs: from + 60 * 60_000, mgdl: 400 },
      { tMs: from + 90 * 60_000, mgdl: 500 }, // HIGH: drawn at the top
      { tMs: from - 60_000, mgdl: 100 }, // before the window: not drawn
    ];
    const chart = renderGlucoseChart(points, {
      fromMs: from,
      toMs: from + 120 * 60_000,
      width: 8,
      height: 10,
    });
    expect(chart).toBe(
      [
        " 400 │    • •",
        "     │",
        "     │",
        "     │",
        "     │",
        " 180 ┃",
        "     ┃",
        "     ┃  •",
        "  70 ┃",
        "  40 │•",
        "     └────────",
        "      09:00 11:00",
        "",
      ].join("\n"),
    );
  });
});
