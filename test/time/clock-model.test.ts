/**
 * The clock model of DESIGN.md §5: anchor, held offset, corrected/raw modes, reference clock and
 * the refusal to stamp from an unsynchronised clock.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { decodePage } from "../../src/records/page.js";
import { measureAnchor } from "../../src/time/anchor.js";
import { clockForCycle } from "../../src/time/clock-model.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { type HeldOffset, parseHeldOffset, updateHeldOffset } from "../../src/time/held-offset.js";
import { resolveTrueClock, type TrueClock } from "../../src/time/reference-clock.js";
import { readingSystemSeconds, shareTimes } from "../../src/time/share-times.js";
import { fixturePage } from "../records/support/fixtures.js";

const HOST: TrueClock = { kind: "host", source: "host (test)", correctionMs: 0, synchronised: true };
const UNSYNCED: TrueClock = {
  kind: "unsynchronised-host",
  source: "host (test)",
  correctionMs: 0,
  synchronised: false,
};

/** A ReadSystemTime sample answered `systemSeconds` when true UTC was `utcMs` (20 ms round trip). */
const sample = (systemSeconds: number, utcMs: number) => ({
  value: systemSeconds,
  sentAtMs: utcMs - 10,
  receivedAtMs: utcMs + 10,
});

const iso = (ms: number) => new Date(ms).toISOString();

describe("a receiver clock months off (the ecc1 EGV page: system 2015-07, display 2016-02)", () => {
  const page = decodePage(fixturePage("ecc1-page-4.312.hex"), { recordType: 4 });
  const last = page.records[22];
  const first = page.records[0];
  if (last === undefined || first === undefined) throw new Error("fixture");
  // The receiver's system clock reads last.systemSeconds + 120 when true UTC is 2016-02-24T18:00:00Z.
  const now = Date.UTC(2016, 1, 24, 18, 0, 0);
  const cycle = clockForCycle(sample(last.systemSeconds + 120, now), HOST);

  it("the anchor offset is true UTC − receiver system clock", () => {
    expect(cycle.anchor.offsetSeconds).toBe((now - RECEIVER_EPOCH_MS) / 1000 - (last.systemSeconds + 120));
    expect(cycle.offsetSeconds).toBe(cycle.anchor.offsetSeconds); // whole seconds here
    expect(cycle.heldReplaced).toBe(true);
  });

  it("corrected ST is true UTC: the last reading 2 minutes before the anchor", () => {
    const t = cycle.stamp(last);
    expect(iso(t.stMs)).toBe("2016-02-24T17:58:00.000Z");
    expect(t.ta).toBe(0);
    expect(t.wtMs).toBe(t.stMs);
    // DT is the display clock's reading (the wearer's wall clock, written as if UTC), whatever the
    // system clock's 7-month error; DT − ST is then what the display clock says the zone is.
    expect(t.dtMs).toBe(RECEIVER_EPOCH_MS + last.displaySeconds * 1000);
    expect(iso(t.dtMs)).toBe("2016-02-24T18:36:53.000Z");
    expect((t.dtMs - t.stMs) / 1000).toBe(last.displaySeconds - last.systemSeconds - cycle.offsetSeconds);
  });

  it("the first reading of the page is (6599 + 120) s before the anchor", () => {
    expect(last.systemSeconds - first.systemSeconds).toBe(6599);
    expect(cycle.stamp(first).stMs).toBe(now - (6599 + 120) * 1000);
  });

  it("raw mode sends the receiver clocks and TA = offset, for the same WT", () => {
    const raw = shareTimes(last, cycle.offsetSeconds, "raw");
    expect(raw.stMs).toBe(RECEIVER_EPOCH_MS + last.systemSeconds * 1000);
    expect(iso(raw.stMs)).toBe("2015-07-17T22:08:16.000Z");
    expect(raw.dtMs).toBe(RECEIVER_EPOCH_MS + last.displaySeconds * 1000);
    expect(raw.ta).toBe(cycle.offsetSeconds);
    expect(raw.wtMs).toBe(raw.stMs + raw.ta * 1000);
    expect(raw.wtMs).toBe(cycle.stamp(last).wtMs);
  });
});

describe("a display offset change (DST) inside the history", () => {
  // 24 readings 5 minutes apart; the wearer moves the receiver clock forward one hour after the 12th
  // (EST −5 h → EDT −4 h). The system clock is 3 days slow, and the wearer set the display clock to
  // the right local time, so the display offset carries both the 3 days and the zone.
  const startSystem = 258_000_000;
  const slowSeconds = 3 * 86_400;
  const records = Array.from({ length: 24 }, (_, i) => {
    const systemSeconds = startSystem + i * 300;
    const displayOffset = slowSeconds + (i < 12 ? -18_000 : -14_400);
    return { systemSeconds, displaySeconds: systemSeconds + displayOffset };
  });
  const lastSystem = startSystem + 23 * 300;
  const nowMs = RECEIVER_EPOCH_MS + (lastSystem + 60 + slowSeconds) * 1000;
  const cycle = clockForCycle(sample(lastSystem + 60, nowMs), HOST);
  const times = records.map((r) => cycle.stamp(r));

  it("ST stays continuous, 300 s apart, across the change", () => {
    for (let i = 1; i < times.length; i++) {
      expect((times[i]?.stMs ?? 0) - (times[i - 1]?.stMs ?? 0)).toBe(300_000);
    }
    expect(times[23]?.stMs).toBe(nowMs - 60_000);
  });

  it("DT follows each record's own display offset: −5 h before, −4 h after", () => {
    expect(times.map((t) => (t.dtMs - t.stMs) / 3_600_000)).toEqual([
      ...Array(12).fill(-5),
      ...Array(12).fill(-4),
    ]);
    // The wearer's wall clock jumps forward by 65 minutes between readings 11 and 12.
    expect((times[12]?.dtMs ?? 0) - (times[11]?.dtMs ?? 0)).toBe(65 * 60_000);
  });
});

describe("the held offset", () => {
  test.prop(
    [
      fc.double({ min: -1e8, max: 1e8, noNaN: true }),
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 2, maxLength: 60 }),
    ],
    { numRuns: 500 },
  )("never moves under ±1 s jitter, so a re-post carries the same ST", (trueOffset, jitters) => {
    const record = { systemSeconds: 300_000_000, displaySeconds: 299_982_000 };
    let held: HeldOffset | undefined;
    const sts = new Set<number>();
    jitters.forEach((jitter, k) => {
      const systemSeconds = 300_000_100 + k * 300;
      const utcMs = RECEIVER_EPOCH_MS + (systemSeconds + trueOffset + jitter) * 1000;
      // The state store persists the held value as JSON between cycles.
      const restored = parseHeldOffset(JSON.parse(JSON.stringify(held ?? null)));
      const cycle = clockForCycle(sample(systemSeconds, utcMs), HOST, { held: restored });
      expect(cycle.heldReplaced).toBe(k === 0);
      held = cycle.held;
      sts.add(cycle.stamp(record).stMs);
    });
    expect(sts.size).toBe(1);
  });

  it("is replaced when the offset moves by 3 s or more (the receiver's clock was changed)", () => {
    const first = updateHeldOffset(undefined, 1000.2, 1);
    expect(first).toEqual({ held: { offsetSeconds: 1000, sinceUtcMs: 1 }, replaced: true, movedSeconds: 0 });
    expect(updateHeldOffset(first.held, 1002.4, 2)).toMatchObject({ replaced: false, movedSeconds: 2 });
    expect(updateHeldOffset(first.held, 997.6, 2)).toMatchObject({ replaced: false, movedSeconds: -2 });
    expect(updateHeldOffset(first.held, 1002.6, 3)).toEqual({
      held: { offsetSeconds: 1003, sinceUtcMs: 3 },
      replaced: true,
      movedSeconds: 3,
    });
    expect(updateHeldOffset(first.held, -5e6, 4)).toMatchObject({
      replaced: true,
      held: { offsetSeconds: -5e6 },
    });
  });

  it("is read back tolerantly from persisted state", () => {
    expect(parseHeldOffset({ offsetSeconds: 12, sinceUtcMs: 5 })).toEqual({
      offsetSeconds: 12,
      sinceUtcMs: 5,
    });
    for (const bad of [
      null,
      undefined,
      3,
      "x",
      {},
      { offsetSeconds: 1.5, sinceUtcMs: 1 },
      { offsetSeconds: 1 },
    ]) {
      expect(parseHeldOffset(bad)).toBeUndefined();
    }
  });
});

describe("both modes give the same wall time", () => {
  test.prop([
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: -86_400 * 2, max: 86_400 * 2 }),
    fc.double({ min: -2e9, max: 2e9, noNaN: true }),
  ])("WT = ST + TA × 1000 is equal in corrected and raw mode", (systemSeconds, displayOffset, offset) => {
    const record = { systemSeconds, displaySeconds: systemSeconds + displayOffset };
    const corrected = shareTimes(record, offset, "corrected");
    const raw = shareTimes(record, offset, "raw");
    expect(corrected.wtMs).toBe(corrected.stMs + corrected.ta * 1000);
    expect(raw.wtMs).toBe(raw.stMs + raw.ta * 1000);
    expect(raw.wtMs).toBe(corrected.wtMs);
    expect(corrected.ta).toBe(0);
    expect(raw.ta).toBe(Math.round(offset) + 0);
    expect(Number.isInteger(corrected.stMs / 1000)).toBe(true);
    // DT is the display clock's reading in both modes; only ST moves with the offset.
    expect(raw.dtMs).toBe(corrected.dtMs);
    expect(raw.dtMs - raw.stMs).toBe(displayOffset * 1000);
    expect(corrected.dtMs - corrected.stMs).toBe((displayOffset - (Math.round(offset) + 0)) * 1000);
  });
});

describe("rev ≥ 4 EGVs use the reading time at offset 10", () => {
  it("a backfilled reading is stamped at its own time, not when it was written", () => {
    const backfilled = {
      systemSeconds: 400_010_000,
      displaySeconds: 400_013_600,
      readingSystemSeconds: 400_000_000,
    };
    expect(readingSystemSeconds(backfilled)).toBe(400_000_000);
    const t = shareTimes(backfilled, 100, "corrected");
    expect(t.stMs).toBe(RECEIVER_EPOCH_MS + 400_000_100 * 1000);
    // The display clock at the reading's own time: reading time + the record's display offset.
    expect(t.dtMs).toBe(RECEIVER_EPOCH_MS + 400_003_600 * 1000);
  });

  it("an implausible reading time falls back to the record's SystemTime", () => {
    const base = { systemSeconds: 400_010_000, displaySeconds: 400_010_000 };
    for (const reading of [0, 0xffffffff, 400_010_301, null, undefined]) {
      expect(readingSystemSeconds({ ...base, readingSystemSeconds: reading })).toBe(400_010_000);
    }
    expect(readingSystemSeconds({ ...base, readingSystemSeconds: 400_010_300 })).toBe(400_010_300);
  });

  it("aheadOfAnchorSeconds flags a reading from the receiver clock's future", () => {
    const cycle = clockForCycle(sample(1000, RECEIVER_EPOCH_MS + 5_000_000), HOST);
    expect(cycle.aheadOfAnchorSeconds({ systemSeconds: 990, displaySeconds: 990 })).toBe(0);
    expect(cycle.aheadOfAnchorSeconds({ systemSeconds: 1090, displaySeconds: 990 })).toBe(90);
  });
});

describe("the reference clock", () => {
  const unsyncedHost = { synchronised: false, source: "none", detail: "nothing found" };

  it("uses the host when it is synchronised, without asking the reference", async () => {
    let asked = false;
    const resolved = await resolveTrueClock({
      hostSync: { synchronised: true, source: "chrony", detail: "" },
      reference: async () => {
        asked = true;
        throw new Error("unreachable");
      },
    });
    expect(resolved.clock).toMatchObject({ kind: "host", correctionMs: 0, synchronised: true });
    expect(asked).toBe(false);
  });

  it("otherwise corrects the host clock with the reference (e.g. Share SystemUtcTime)", async () => {
    // The host clock is 1 h 2 s behind; the reference answered mid-way through a 200 ms round trip.
    const hostNow = 1_700_000_000_000;
    const resolved = await resolveTrueClock({
      hostSync: unsyncedHost,
      reference: async () => ({
        utcMs: hostNow + 100 + 3_602_000,
        sentAtMs: hostNow,
        receivedAtMs: hostNow + 200,
        source: "share SystemUtcTime",
      }),
    });
    expect(resolved.clock).toEqual({
      kind: "reference",
      source: "share SystemUtcTime",
      correctionMs: 3_602_000,
      synchronised: true,
    });
    // The anchor then measures against corrected host time.
    const cycle = clockForCycle(
      { value: 500_000_000, sentAtMs: hostNow, receivedAtMs: hostNow + 20 },
      resolved.clock,
    );
    expect(cycle.anchor.utcMs).toBe(hostNow + 10 + 3_602_000);
  });

  it("an unreachable or slow reference leaves an unsynchronised clock, and stamping is refused", async () => {
    const failing = await resolveTrueClock({
      hostSync: unsyncedHost,
      reference: async () => {
        throw new Error("ECONNREFUSED");
      },
    });
    expect(failing).toMatchObject({ clock: { kind: "unsynchronised-host" }, referenceError: "ECONNREFUSED" });
    const slow = await resolveTrueClock({
      hostSync: unsyncedHost,
      reference: async () => ({ utcMs: 1.7e12, sentAtMs: 0, receivedAtMs: 10_000, source: "share" }),
    });
    expect(slow.clock.synchronised).toBe(false);
    expect(slow.referenceError).toContain("round trip");
    const none = await resolveTrueClock({ hostSync: unsyncedHost });
    let code = "";
    try {
      clockForCycle(sample(1000, 1.7e12), none.clock);
    } catch (error) {
      code = isSharebridgeError(error) ? error.code : "other";
    }
    expect(code).toBe("CLOCK_UNSYNCHRONISED");
  });

  it("export callers may opt in to the unsynchronised host: the held offset is left alone", () => {
    const held = { offsetSeconds: 42, sinceUtcMs: 1 };
    const cycle = clockForCycle(sample(1000, RECEIVER_EPOCH_MS + 1_000_000 + 500_000), UNSYNCED, {
      held,
      allowUnsynchronised: true,
    });
    expect(cycle.synchronised).toBe(false);
    expect(cycle.held).toBe(held);
    expect(cycle.heldReplaced).toBe(false);
    expect(cycle.offsetSeconds).toBe(500);
  });
});

describe("the anchor refuses samples that cannot pin the clock", () => {
  it.each([
    [{ value: 1, sentAtMs: 10, receivedAtMs: 5 }, "stepped"],
    [{ value: 1, sentAtMs: 0, receivedAtMs: 5000 }, "too long"],
    [{ value: -1, sentAtMs: 0, receivedAtMs: 5 }, "u32"],
    [{ value: 1.5, sentAtMs: 0, receivedAtMs: 5 }, "u32"],
  ])("%o", (bad, message) => {
    expect(() => measureAnchor(bad, HOST)).toThrow(message);
  });
});
