/**
 * The generated history looks like a wearer's receiver: plausible glucose with LOW/HIGH markers,
 * trends that follow the slope, warm-ups and calibrations where sessions say, a DST shift of the
 * display clock, and clocks related as spec receiver-protocol §5.0, §5.8 and §6 require.
 */
import { describe, expect, test } from "vitest";
import {
  createReceiverEmulator,
  type EgvRecord,
  type InsertionRecord,
  type MeterRecord,
  type ModelRecord,
  PROFILE_IDS,
  type ProfileId,
  type UserEventRecord,
  type UserSettingsRecord,
  type XmlRecord,
} from "../../../src/emulator/receiver/index.js";
import { rateOfChange, trendFromRate } from "../../../src/emulator/receiver/trend.js";
import { RECEIVER_EPOCH_MS } from "../../../src/wire/epoch.js";
import { NOW } from "./helpers.js";

function records<R extends ModelRecord>(
  model: { partitions: Readonly<Record<number, { records: readonly ModelRecord[] }>> },
  type: number,
): R[] {
  return (model.partitions[type]?.records ?? []) as R[];
}

describe.each(PROFILE_IDS)("profile %s", (profile: ProfileId) => {
  const emulator = createReceiverEmulator({ profile, seed: 5, days: 30, now: () => NOW });
  const model = emulator.model;
  const egvs = records<EgvRecord>(model, 4);
  const insertions = records<InsertionRecord>(model, 7);
  const meters = records<MeterRecord>(model, 10);
  const settings = records<UserSettingsRecord>(model, 12);
  const needsCalibration = profile !== "touchscreen";

  test("about 30 days of 5-minute readings, every value a reading 40–400, LOW 39, HIGH 401 or a special ≤ 12", () => {
    expect(egvs.length).toBeGreaterThan(7000);
    for (const e of egvs) {
      const ok = (e.glucose >= 39 && e.glucose <= 401) || e.glucose <= 12;
      expect(ok, `glucose ${e.glucose}`).toBe(true);
      expect(e.special).toBe(e.glucose <= 12 ? e.glucose : null);
    }
    const numeric = egvs.filter((e) => e.glucose > 12).map((e) => e.glucose);
    const mean = numeric.reduce((a, b) => a + b, 0) / numeric.length;
    expect(mean).toBeGreaterThan(100);
    expect(mean).toBeLessThan(190);
  });

  test("trend arrows follow the rule of trend.ts, and their direction follows the 15-minute change", () => {
    egvs.forEach((e, i) => {
      const rate = rateOfChange(egvs.slice(Math.max(0, i - 400), i), e.systemSeconds, e.glucose);
      expect(e.trend, `record ${e.index}`).toBe(rate === undefined ? 8 : trendFromRate(rate));
    });
    // Independent of the rule's details: a reading 15 minutes before, 20+ mg/dL apart, means an arrow
    // that way; less than 10 apart, a flat one.
    const regular = egvs.filter((e) => !e.displayOnly);
    const bySystem = new Map(regular.map((e) => [e.systemSeconds, e]));
    const measured = (g: number) => g >= 40 && g <= 400;
    const changes = regular.flatMap((e) => {
      const before = bySystem.get(e.systemSeconds - 900);
      return before !== undefined && measured(e.glucose) && measured(before.glucose)
        ? [{ change: e.glucose - before.glucose, trend: e.trend }]
        : [];
    });
    expect(changes.length).toBeGreaterThan(5000);
    const trendsWhere = (keep: (change: number) => boolean) =>
      new Set(changes.filter((c) => keep(c.change)).map((c) => c.trend));
    const rising = trendsWhere((change) => change >= 20);
    const falling = trendsWhere((change) => change <= -20);
    const steady = trendsWhere((change) => Math.abs(change) < 10);
    expect(rising.size).toBeGreaterThan(0);
    expect([...rising].filter((t) => ![1, 2, 3].includes(t))).toEqual([]);
    expect(falling.size).toBeGreaterThan(0);
    expect([...falling].filter((t) => ![5, 6, 7].includes(t))).toEqual([]);
    expect(steady).toEqual(new Set([4]));
  });

  test("one sensor record per regular reading, with the same timestamps", () => {
    const sensors = records<ModelRecord>(model, 3);
    const regular = egvs.filter((e) => !e.displayOnly);
    expect(sensors.map((s) => [s.systemSeconds, s.displaySeconds])).toEqual(
      regular.map((e) => [e.systemSeconds, e.displaySeconds]),
    );
  });

  test("sessions: STARTED, then EXPIRED after exactly the session length or REMOVED earlier; one in progress", () => {
    expect(insertions.length).toBeGreaterThanOrEqual(4);
    expect(insertions.at(-1)?.state).toBe(7);
    const days = profile === "touchscreen" ? 10 : 7;
    // Starts and ends alternate; the history may begin with the end of a session started before it.
    const first = insertions[0]?.state === 7 ? 0 : 1;
    expect(insertions.slice(0, first).filter((r) => r.state !== 1 && r.state !== 2)).toEqual([]);
    const sessions = insertions.slice(first);
    const starts = sessions.filter((_, i) => i % 2 === 0);
    const ends = sessions.filter((_, i) => i % 2 === 1);
    expect(starts.map((r) => r.state)).toEqual(starts.map(() => 7));
    expect(starts.map((r) => r.insertionSeconds)).toEqual(starts.map((r) => r.systemSeconds));
    expect(ends.map((r) => r.insertionSeconds)).toEqual(ends.map(() => null));
    const lengths = ends.map((end, i) => ({
      state: end.state,
      full: end.systemSeconds - (starts[i] as InsertionRecord).systemSeconds === days * 86_400,
      shorter: end.systemSeconds - (starts[i] as InsertionRecord).systemSeconds < days * 86_400,
    }));
    // EXPIRED (2) after exactly the session length, REMOVED (1) earlier.
    expect(lengths.filter((l) => !(l.state === 2 ? l.full : l.state === 1 && l.shorter))).toEqual([]);
  });

  test("after each insertion: 2 hours of SENSOR_NOT_ACTIVE, then (G4/G5) SENSOR_NOT_CALIBRATED until the start-up calibrations", () => {
    const starts = insertions.filter((r) => r.state === 7);
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const start of starts) {
      const warmup = egvs.filter(
        (e) => e.systemSeconds >= start.systemSeconds && e.systemSeconds < start.systemSeconds + 7200,
      );
      expect(warmup.length).toBeGreaterThanOrEqual(23);
      expect(new Set(warmup.map((e) => e.special))).toEqual(new Set([1]));
      expect(new Set(warmup.map((e) => e.trend))).toEqual(new Set([8]));
      const after = egvs.filter((e) => e.systemSeconds >= start.systemSeconds + 7200);
      const firstNumeric = after.find((e) => e.glucose > 12);
      expect(firstNumeric).toBeDefined();
      const beforeNumeric = after.filter((e) => e.systemSeconds < (firstNumeric?.systemSeconds ?? 0));
      // G4/G5 wait for two start-up calibrations (SENSOR_NOT_CALIBRATED meanwhile); G6 needs none.
      expect(beforeNumeric.length > 0).toBe(needsCalibration);
      expect(new Set(beforeNumeric.map((e) => e.special))).toEqual(new Set(needsCalibration ? [5] : []));
      const startup = meters.filter(
        (m) => m.systemSeconds > start.systemSeconds && m.systemSeconds < (firstNumeric?.systemSeconds ?? 0),
      );
      expect(startup.length).toBe(needsCalibration ? 2 : 0);
    }
  });

  test("each calibration is followed by a display-only reading sharing its timestamps with the next regular one", () => {
    const cals = records<ModelRecord>(model, 5);
    expect(cals.length).toBe(meters.length);
    // About two a day on G4/G5; now and then on G6.
    expect(meters.length > 40).toBe(needsCalibration);
    const displayOnly = egvs.filter((e) => e.displayOnly);
    expect(displayOnly.length).toBeGreaterThan(0);
    for (const d of displayOnly) {
      const next = egvs[egvs.indexOf(d) + 1];
      expect(next?.displayOnly).toBe(false);
      expect([next?.systemSeconds, next?.displaySeconds]).toEqual([d.systemSeconds, d.displaySeconds]);
      const cal = meters.findLast((m) => m.systemSeconds <= d.systemSeconds);
      expect(d.systemSeconds - (cal?.systemSeconds ?? -1e9)).toBeLessThanOrEqual(300);
    }
    for (const m of meters) {
      expect(m.systemSeconds - m.meterSeconds).toBeGreaterThanOrEqual(20);
      expect(m.systemSeconds - m.meterSeconds).toBeLessThanOrEqual(45);
    }
  });

  test("the display offset changes by exactly 3600 s once (DST), and every record carries the offset then in force", () => {
    const offsets = settings.map((s) => s.displayTimeOffset);
    const steps = offsets
      .slice(1)
      .map((o, i) => o - (offsets[i] as number))
      .filter((d) => d !== 0);
    expect(steps.length).toBe(1);
    expect(Math.abs(steps[0] as number)).toBe(3600);
    const change = settings.find(
      (s, i) => i > 0 && s.displayTimeOffset !== settings[i - 1]?.displayTimeOffset,
    );
    const before = settings[0]?.displayTimeOffset as number;
    const after = change?.displayTimeOffset as number;
    expect(model.clock.displayTimeOffset).toBe(after);
    for (const type of [3, 4, 5, 7, 10, 11, 12, 18]) {
      for (const r of records<ModelRecord>(model, type)) {
        const expected = r.systemSeconds < (change?.systemSeconds ?? 0) ? before : after;
        expect(r.displaySeconds - r.systemSeconds, `type ${type} record ${r.index}`).toBe(expected);
      }
    }
  });

  test("clocks: RTC + offset = system time; system time is months off UTC; display time is a wall clock", () => {
    const { systemTime, rtc, systemTimeOffset, displayTime } = model.clock;
    expect(rtc + systemTimeOffset).toBe(systemTime);
    const utcSeconds = Math.floor((NOW - RECEIVER_EPOCH_MS) / 1000);
    expect(Math.abs(systemTime - utcSeconds + 91 * 86_400)).toBeLessThanOrEqual(1800);
    // Display − UTC is a zone offset (a multiple of 15 min) give or take a drifted clock (≤ 4 min).
    const zoneish = displayTime - utcSeconds;
    const nearest = Math.round(zoneish / 900) * 900;
    expect(Math.abs(zoneish - nearest)).toBeLessThanOrEqual(240);
    expect(zoneish - nearest).not.toBe(0);
    expect(settings.every((s) => s.systemTimeOffset === systemTimeOffset)).toBe(true);
  });

  test("the manufacturing record: SystemTime − DisplayTime = +8 h, the factory's UTC−8 DateTimeCreated", () => {
    const [manufacturing] = records<XmlRecord>(model, 0);
    expect(manufacturing).toBeDefined();
    const m = manufacturing as XmlRecord;
    expect(m.systemSeconds - m.displaySeconds).toBe(28_800);
    const created = /DateTimeCreated="(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.\d{3} -08:00"/.exec(m.xml);
    expect(created).not.toBeNull();
    const asUtc = Date.parse(`${created?.[1]}T${created?.[2]}-08:00`);
    expect((asUtc - RECEIVER_EPOCH_MS) / 1000).toBe(m.systemSeconds);
    expect(m.systemSeconds).toBeLessThan(egvs[0]?.systemSeconds ?? 0);
  });

  test("user events: carbs, insulin × 100, exercise, health, entered in whole minutes on the display clock", () => {
    const events = records<UserEventRecord>(model, 11);
    expect(events.length).toBeGreaterThan(100);
    expect(new Set(events.map((e) => e.eventType))).toEqual(new Set([1, 2, 3, 4]));
    for (const e of events) {
      expect(e.eventSeconds % 60).toBe(0);
      expect(e.eventSeconds).toBeLessThanOrEqual(e.displaySeconds);
      expect(e.displaySeconds - e.eventSeconds).toBeLessThan(2 * 3600);
    }
    const insulin = events.filter((e) => e.eventType === 2);
    const carbs = events.filter((e) => e.eventType === 1);
    expect(insulin.filter((e) => e.value % 50 !== 0)).toEqual([]);
    // FAST / LONG sub-types on G5/G6 only (§5.6).
    const g4Class = profile === "g4" || profile === "g4share";
    expect(new Set(insulin.map((e) => e.eventSubType))).toEqual(new Set(g4Class ? [0] : [1, 2]));
    expect(Math.min(...carbs.map((e) => e.value))).toBeGreaterThanOrEqual(10);
  });

  test("G4 records carry no rev ≥ 4 fields", () => {
    const g4Class = profile === "g4" || profile === "g4share";
    expect(egvs.some((e) => e.readingSystemSeconds !== undefined)).toBe(!g4Class);
  });
});

describe.each(["g5", "touchscreen"] as const)("profile %s, EGV rev ≥ 4", (profile) => {
  const egvs = records<EgvRecord>(
    createReceiverEmulator({ profile, seed: 5, days: 30, now: () => NOW }).model,
    4,
  );

  test("reading times sit 0–3 s before the record, on the system clock; transmitter time advances", () => {
    let previous = -1;
    for (const e of egvs) {
      expect(e.systemSeconds - (e.readingSystemSeconds as number)).toBeGreaterThanOrEqual(0);
      expect(e.systemSeconds - (e.readingSystemSeconds as number)).toBeLessThanOrEqual(3);
      expect(e.transmitterSeconds as number).toBeGreaterThanOrEqual(previous);
      previous = e.transmitterSeconds as number;
    }
  });
});

test("touchscreen: readings lost to signal gaps are backfilled into type 18 when the signal returns", () => {
  const emulator = createReceiverEmulator({ profile: "touchscreen", seed: 5, days: 30, now: () => NOW });
  const model = emulator.model;
  const egvs = records<EgvRecord>(model, 4);
  const backfilled = records<EgvRecord>(model, 18);
  expect(backfilled.length).toBeGreaterThan(10);
  const live = new Set(egvs.map((e) => e.readingSystemSeconds));
  for (const b of backfilled) {
    expect(b.backfilled).toBe(true);
    expect(b.predictedGlucose).toBe(13);
    expect(live.has(b.readingSystemSeconds)).toBe(false);
    // Written with the first regular reading after the gap, hence later than the reading itself.
    expect(b.systemSeconds).toBeGreaterThan(b.readingSystemSeconds as number);
    expect(egvs.some((e) => e.systemSeconds === b.systemSeconds && !e.backfilled)).toBe(true);
  }
  expect(egvs.every((e) => e.backfilled === false && e.computedOnTransmitter === true)).toBe(true);
});

test("across seeds, the history has LOW (39) and HIGH (401) markers and ?? episodes", () => {
  const counts = { low: 0, high: 0, deviation: 0 };
  for (const seed of [1, 2, 3, 4]) {
    const egvs = records<EgvRecord>(createReceiverEmulator({ seed, days: 30, now: () => NOW }).model, 4);
    counts.low += egvs.filter((e) => e.glucose === 39).length;
    counts.high += egvs.filter((e) => e.glucose === 401).length;
    counts.deviation += egvs.filter((e) => e.special !== null && e.special !== 1 && e.special !== 5).length;
  }
  expect(counts.low).toBeGreaterThan(0);
  expect(counts.high).toBeGreaterThan(0);
  expect(counts.deviation).toBeGreaterThan(0);
});
