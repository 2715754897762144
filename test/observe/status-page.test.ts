/** The status page's facts and HTML from a given snapshot and archive (the browser tests run it whole). */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pageFacts } from "../../src/observe/page/page-facts.js";
import { CONTENT_SECURITY_POLICY, renderPage } from "../../src/observe/page/page-html.js";
import { changeText, glucoseText, inUnit, rangeWord } from "../../src/readings/units.js";
import type { ArchivedReading } from "../../src/sinks/archive/archive-reader.js";
import { healthySnapshot, T } from "./support/snapshot.js";

const MINUTE = 60_000;

function archived(
  minutesAgo: number,
  mgdl: number | undefined,
  change: Partial<ArchivedReading> = {},
): ArchivedReading {
  const utcMs = T - minutesAgo * MINUTE;
  return {
    serial: "SM12345678",
    recordType: 4,
    index: 10_000 - minutesAgo,
    systemSeconds: 500_000_000 - minutesAgo * 60,
    utcMs,
    displayMs: utcMs + 120 * MINUTE,
    storedGlucose: mgdl ?? 5,
    mgdl,
    trend: 4,
    skip: mgdl === undefined ? "special" : undefined,
    outcome: "stored",
    fault: undefined,
    outcomeAtMs: utcMs + 1000,
    ...change,
  };
}

describe("units and words", () => {
  it("mg/dL whole, mmol/L one decimal; LOW and HIGH as words; changes as shown", () => {
    expect([
      inUnit(123, "mg/dL"),
      inUnit(123, "mmol/L"),
      inUnit(70, "mmol/L"),
      inUnit(180, "mmol/L"),
    ]).toEqual([123, 6.8, 3.9, 10]);
    expect([glucoseText(39, "mg/dL"), glucoseText(401, "mmol/L"), glucoseText(180, "mmol/L")]).toEqual([
      "LOW",
      "HIGH",
      "10.0",
    ]);
    expect([
      changeText(124, 121, "mg/dL"),
      changeText(100, 104, "mg/dL"),
      changeText(99, 99, "mg/dL"),
    ]).toEqual(["+3", "−4", "±0"]);
    // 120 → 6.7 and 124 → 6.9: the change reads +0.2, the difference of what is shown.
    expect(changeText(124, 120, "mmol/L")).toBe("+0.2");
    expect(changeText(39, 50, "mg/dL")).toBe(undefined);
    expect([53, 54, 69, 70, 180, 181].map(rangeWord)).toEqual([
      "urgent low",
      "low",
      "low",
      "in range",
      "in range",
      "high",
    ]);
  });
});

describe("page facts", () => {
  it("the newest postable reading, the change from the one before, the chart's span, held and quarantined", () => {
    const readings = [
      archived(200, 150), // outside 3 h
      archived(25, 140, { outcome: "quarantined", fault: "InvalidArgument" }),
      archived(20, undefined),
      archived(15, 130, { skip: "display-only" }),
      archived(10, 128, { outcome: "held" }),
      archived(5, 121, { outcome: undefined }),
      archived(-5, 300), // a reading from after "now": not shown
    ];
    const facts = pageFacts({
      snapshot: healthySnapshot({ backlog: 1 }),
      archived: readings,
      archiveProblem: undefined,
      unit: "mg/dL",
      hours: 3,
    });
    expect(facts.newest).toEqual({
      at: new Date(T - 5 * MINUTE).toISOString(),
      ageSeconds: 300,
      mgdl: 121,
      glucose: 121,
      text: "121",
      range: "in range",
      trend: 4,
      trendArrow: "→",
      trendWords: "steady",
      change: "−7",
    });
    expect(facts.readings.map((r) => r.mgdl)).toEqual([140, 128, 121]);
    expect(facts.wallClockOffsetMinutes).toBe(120);
    expect(facts.share).toMatchObject({ waiting: 1, held: 1, quarantined: 1, login: "ok" });
    const day = pageFacts({
      snapshot: healthySnapshot(),
      archived: readings,
      archiveProblem: undefined,
      unit: "mmol/L",
      hours: 24,
    });
    expect(day.readings.map((r) => r.glucose)).toEqual([8.3, 7.8, 7.1, 6.7]);
    expect(day.newest?.change).toBe("−0.4");
  });

  it("a previous reading more than 15 minutes back is no previous reading; the archive off: the snapshot's", () => {
    const gap = pageFacts({
      snapshot: healthySnapshot(),
      archived: [archived(40, 100), archived(5, 180)],
      archiveProblem: undefined,
      unit: "mg/dL",
      hours: 3,
    });
    expect(gap.newest?.change).toBe(null);
    const off = pageFacts({
      snapshot: healthySnapshot(),
      archived: undefined,
      archiveProblem: undefined,
      unit: "mg/dL",
      hours: 3,
    });
    expect(off.newest).toMatchObject({ text: "123", change: null, ageSeconds: 126 });
    expect(off.readings).toEqual([]);
    expect(off.archive).toEqual({ on: false, problem: null });
  });
});

describe("page html", () => {
  it("escapes words from outside; allows nothing but its own style", () => {
    const facts = pageFacts({
      snapshot: healthySnapshot({
        phase: "waiting-for-operator",
        waitingFor: 'the operator <script>alert("x")</script>',
        serial: "SM<b>1",
        shareLogin: { state: "credentials-rejected", sinceMs: T - MINUTE },
        battery: { serial: "SM<b>1", percent: 12, state: "not-charging", atMs: T - 5 * MINUTE },
      }),
      archived: [archived(5, 45)],
      archiveProblem: "cannot write the archive in /var/lib/sharebridge/archive (ENOSPC)",
      unit: "mg/dL",
      hours: 3,
    });
    const html = renderPage(facts);
    expect(html).not.toContain("<script>");
    expect(html).toContain("the operator &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("SM&lt;b&gt;1, connected");
    expect(html).toContain('<p class="range" id="range">urgent low</p>');
    expect(html).toContain('12 % <span class="bad">(low)</span>, not charging (read 5 min ago)');
    expect(html).toContain("Share refused the password");
    expect(html).toContain("cannot write the archive in /var/lib/sharebridge/archive (ENOSPC)");
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    const hash = createHash("sha256").update(style).digest("base64");
    expect(CONTENT_SECURITY_POLICY).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(html).not.toMatch(/ style=|<script|<img|<link|https?:\/\//);
  });

  it("refreshes itself every 30 s at the span it shows, and fits a phone's width", () => {
    const facts = pageFacts({
      snapshot: healthySnapshot({}),
      archived: [archived(5, 120)],
      archiveProblem: undefined,
      unit: "mg/dL",
      hours: 24,
    });
    const html = renderPage(facts);
    expect(html).toContain('<meta http-equiv="refresh" content="30">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<a href="/?hours=24" aria-current="page">24 h</a>');
    expect(html).toMatch(/this page refreshes every 30 s\.<\/footer>/);
  });
});
