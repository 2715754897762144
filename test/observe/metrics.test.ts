/** The Prometheus exposition: exact text, and every line valid for the 0.0.4 text format. */
import { describe, expect, it } from "vitest";
import { escapeLabelValue, formatValue, renderMetrics } from "../../src/observe/metrics.js";
import { healthySnapshot, T } from "./support/snapshot.js";

/** Parses an exposition strictly: HELP and TYPE before samples, names and labels well formed. */
function parseExposition(text: string) {
  const families = new Map<
    string,
    { help: string; type: string; samples: { labels: string; value: number }[] }
  >();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.slice(0, -1).split("\n")) {
    const help = /^# HELP (sharebridge_[a-z_]+) (.+)$/.exec(line);
    const type = /^# TYPE (sharebridge_[a-z_]+) (gauge|counter)$/.exec(line);
    const sample = /^(sharebridge_[a-z_]+)(\{(?:[a-z_]+="(?:[^"\\\n]|\\["\\n])*",?)*\})? (\S+)$/.exec(line);
    if (help !== null) {
      const [, name = "", text = ""] = help;
      expect(families.has(name)).toBe(false);
      families.set(name, { help: text, type: "", samples: [] });
    } else if (type !== null) {
      const [, name = "", kind = ""] = type;
      const family = families.get(name);
      expect(family?.type).toBe("");
      if (family !== undefined) family.type = kind;
    } else if (sample !== null) {
      const [, name = "", labels = "", value = ""] = sample;
      const family = families.get(name);
      expect(family, `sample ${line} before its HELP/TYPE`).toBeDefined();
      expect(family?.type).not.toBe("");
      // Counters, and only counters, end in _total (Prometheus naming).
      expect(family?.type === "counter").toBe(name.endsWith("_total"));
      const number = Number(value);
      expect(Number.isFinite(number) || ["NaN", "+Inf", "-Inf"].includes(value)).toBe(true);
      family?.samples.push({ labels, value: number });
    } else {
      throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    }
  }
  return families;
}

describe("renderMetrics", () => {
  it("renders every metric with HELP, TYPE and exact values", () => {
    expect(
      renderMetrics(healthySnapshot()),
    ).toBe(`# HELP sharebridge_up 1 while the sharebridge daemon answers.
# TYPE sharebridge_up gauge
sharebridge_up 1
# HELP sharebridge_healthy 1 when a sync cycle succeeded within the last two reading intervals, else 0.
# TYPE sharebridge_healthy gauge
sharebridge_healthy 1
# HELP sharebridge_info Always 1; the serial label names the receiver in use.
# TYPE sharebridge_info gauge
sharebridge_info{serial="SM12345678"} 1
# HELP sharebridge_phase 1 for the phase the daemon is in, 0 for the others.
# TYPE sharebridge_phase gauge
sharebridge_phase{phase="starting"} 0
sharebridge_phase{phase="syncing"} 0
sharebridge_phase{phase="idle"} 1
sharebridge_phase{phase="waiting-for-receiver"} 0
sharebridge_phase{phase="waiting-for-clock"} 0
sharebridge_phase{phase="waiting-for-share"} 0
sharebridge_phase{phase="waiting-for-operator"} 0
sharebridge_phase{phase="stopping"} 0
# HELP sharebridge_start_time_seconds When the daemon started, seconds since the Unix epoch.
# TYPE sharebridge_start_time_seconds gauge
sharebridge_start_time_seconds ${(T - 3_600_000) / 1000}
# HELP sharebridge_last_success_age_seconds Seconds since the last sync cycle that completed without error.
# TYPE sharebridge_last_success_age_seconds gauge
sharebridge_last_success_age_seconds 60
# HELP sharebridge_last_reading_age_seconds Seconds since the newest reading on the receiver was taken.
# TYPE sharebridge_last_reading_age_seconds gauge
sharebridge_last_reading_age_seconds 125.5
# HELP sharebridge_last_post_age_seconds Seconds since Dexcom Share last acknowledged posted readings.
# TYPE sharebridge_last_post_age_seconds gauge
sharebridge_last_post_age_seconds 59
# HELP sharebridge_backlog_readings Readings inside the backfill window not yet acknowledged by Share.
# TYPE sharebridge_backlog_readings gauge
sharebridge_backlog_readings 0
# HELP sharebridge_held_readings Readings Share called future in the last cycle, held back and posted again next cycle.
# TYPE sharebridge_held_readings gauge
sharebridge_held_readings 0
# HELP sharebridge_quarantined_readings Readings Share keeps refusing for their content, set aside and tried again once a day.
# TYPE sharebridge_quarantined_readings gauge
sharebridge_quarantined_readings 1
# HELP sharebridge_clock_offset_seconds True UTC minus the receiver's system clock, in seconds (the held offset).
# TYPE sharebridge_clock_offset_seconds gauge
sharebridge_clock_offset_seconds -1234
# HELP sharebridge_reading_interval_seconds The receiver's reading cadence in use, in seconds.
# TYPE sharebridge_reading_interval_seconds gauge
sharebridge_reading_interval_seconds 300
# HELP sharebridge_cycles_total Sync cycles since the daemon started, by outcome.
# TYPE sharebridge_cycles_total counter
sharebridge_cycles_total{outcome="nothing-new"} 3
sharebridge_cycles_total{outcome="posted"} 12
# HELP sharebridge_link_errors_total Receiver link events since the daemon started, by kind.
# TYPE sharebridge_link_errors_total counter
sharebridge_link_errors_total{kind="badCrc"} 1
sharebridge_link_errors_total{kind="timeouts"} 2
# HELP sharebridge_share_errors_total Dexcom Share failures since the daemon started, by error code.
# TYPE sharebridge_share_errors_total counter
sharebridge_share_errors_total{code="SHARE_UNAVAILABLE"} 4
# HELP sharebridge_probes_total Checks for the next reading around its due time since the daemon started (one receiver round trip each).
# TYPE sharebridge_probes_total counter
sharebridge_probes_total 7
# HELP sharebridge_readings_skipped_total Readings never posted since the daemon started, by reason.
# TYPE sharebridge_readings_skipped_total counter
sharebridge_readings_skipped_total{reason="special"} 3
sharebridge_readings_skipped_total{reason="unrepresentable-time"} 1
`);
  });

  it("parses line by line: HELP and TYPE once per family, then its samples", () => {
    const families = parseExposition(renderMetrics(healthySnapshot()));
    expect([...families.keys()]).toEqual([
      "sharebridge_up",
      "sharebridge_healthy",
      "sharebridge_info",
      "sharebridge_phase",
      "sharebridge_start_time_seconds",
      "sharebridge_last_success_age_seconds",
      "sharebridge_last_reading_age_seconds",
      "sharebridge_last_post_age_seconds",
      "sharebridge_backlog_readings",
      "sharebridge_held_readings",
      "sharebridge_quarantined_readings",
      "sharebridge_clock_offset_seconds",
      "sharebridge_reading_interval_seconds",
      "sharebridge_cycles_total",
      "sharebridge_link_errors_total",
      "sharebridge_share_errors_total",
      "sharebridge_probes_total",
      "sharebridge_readings_skipped_total",
    ]);
    expect(families.get("sharebridge_phase")?.samples.filter((s) => s.value === 1)).toEqual([
      { labels: '{phase="idle"}', value: 1 },
    ]);
  });

  it("leaves unknown values without a sample, and reports an unhealthy daemon as 0", () => {
    const snapshot = healthySnapshot({
      serial: undefined,
      lastSuccessAtMs: undefined,
      lastReading: undefined,
      lastPostUtcMs: undefined,
      clockOffsetSeconds: undefined,
      startedAtMs: T - 3_600_000,
      cycles: {},
      linkErrors: {},
      shareErrors: {},
      phase: "waiting-for-receiver",
    });
    const families = parseExposition(renderMetrics(snapshot));
    expect(families.get("sharebridge_healthy")?.samples).toEqual([{ labels: "", value: 0 }]);
    expect(families.get("sharebridge_info")?.samples).toEqual([{ labels: '{serial=""}', value: 1 }]);
    for (const name of [
      "sharebridge_last_success_age_seconds",
      "sharebridge_last_reading_age_seconds",
      "sharebridge_last_post_age_seconds",
      "sharebridge_clock_offset_seconds",
      "sharebridge_cycles_total",
    ]) {
      expect(families.get(name)?.samples, name).toEqual([]);
      expect(families.get(name)?.type, name).not.toBe("");
    }
  });

  it("escapes and bounds label values; drops counts that are not counts", () => {
    const text = renderMetrics(
      healthySnapshot({
        serial: 'SM"1\\2\n3',
        shareErrors: { [`X${"y".repeat(100)}`]: 1, NEGATIVE: -1, NAN: Number.NaN },
      }),
    );
    expect(text).toContain('sharebridge_info{serial="SM\\"1\\\\2\\n3"} 1\n');
    expect(text).toContain(`sharebridge_share_errors_total{code="X${"y".repeat(63)}"} 1\n`);
    expect(text).not.toContain("NEGATIVE");
    expect(text).not.toContain('code="NAN"');
    parseExposition(text);
  });

  it("bounds the number of series per counter", () => {
    const many = Object.fromEntries(
      Array.from({ length: 80 }, (_, i) => [`k${String(i).padStart(2, "0")}`, i]),
    );
    const families = parseExposition(renderMetrics(healthySnapshot({ linkErrors: many })));
    expect(families.get("sharebridge_link_errors_total")?.samples.length).toBe(50);
  });

  it("formats values the way Prometheus parses them", () => {
    expect(formatValue(1.5)).toBe("1.5");
    expect(formatValue(-0.25)).toBe("-0.25");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe("-Inf");
    expect(escapeLabelValue('a"b')).toBe('a\\"b');
  });
});
