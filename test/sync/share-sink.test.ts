/**
 * The Share sink against the strict Share emulator (share-api §18.5, §18.7): readings Share calls
 * future are never settled behind the cursor and are reported as held from the third cycle; a
 * reading Share keeps refusing is quarantined and the others are posted; a batch whose every reading
 * is refused is the account's problem, not the readings'.
 */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { parseShareNotes } from "../../src/sinks/share-notes.js";
import type { TrueClock } from "../../src/time/reference-clock.js";
import { type Bench, bench, expectedReadings } from "./support/harness.js";

let b: Bench | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

const HOUR = 3_600_000;
const POST = "Publisher/PostReceiverEgvRecords";
/**
 * A host clock an hour and 150 s ahead of true time, believed synchronised (what a wrong NTP server
 * does). The 150 s keep the wrongly stamped readings off the 5-minute grid of the right ones, so that
 * Share's duplicate check (by ST second) does not mistake one for the other once the clock is right.
 */
const AHEAD_MS = HOUR + 150_000;
const AHEAD: TrueClock = { kind: "host", source: "host (ahead)", correctionMs: AHEAD_MS, synchronised: true };

const notes = (bench: Bench) =>
  parseShareNotes(bench.store.current.receivers[bench.emulator.serial]?.sinks?.["share"]?.notes);
const cursor = (bench: Bench) =>
  bench.store.current.receivers[bench.emulator.serial]?.sinks?.["share"]?.cursors.egv;

describe("the Share sink", () => {
  it("future readings: acknowledged only up to them, posted again every cycle, held from the third, then caught up", async () => {
    const warnings: { msg: string; cycles?: number; readings?: number }[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    const heldWarnings = () =>
      warnings.filter((w) => w.msg.startsWith("Share has called these readings future"));
    b = await bench({ receiver: { profile: "g4", seed: 31, days: 2 }, log });
    const expected = expectedReadings(b, 24);
    // Readings stamped an hour late: those of the last 55 minutes are beyond Share's 5-minute tolerance.
    const future = expected.filter(([st]) => st + AHEAD_MS > (b as Bench).now + 5 * 60_000);
    expect(future.length).toBeGreaterThanOrEqual(10);
    const first = await b.cycle({ trueClock: async () => AHEAD });
    expect(first.posted).toBe(expected.length - future.length);
    expect(first.sinks[0]).toMatchObject({ sink: "share", held: future.length, clockSuspect: true });
    // The cursor stays just before the first reading Share called future: the oldest of them.
    const records = b.emulator.model.partitions[4]?.records ?? [];
    const offsetMs = (b.stored().at(-1)?.stMs ?? 0) - (expected[first.posted - 1]?.[0] ?? 0);
    expect(offsetMs).toBe(AHEAD_MS);
    // The receiver's real readings, aligned with the expected ones (the window's are the newest).
    const real = records
      .filter((r) => "glucose" in r && !r.displayOnly && r.special === null)
      .slice(-expected.length);
    const firstFuture = real[expected.length - future.length];
    expect(notes(b).held?.firstIndex).toBe(firstFuture?.index);
    expect(cursor(b)?.lastIndex).toBeLessThan(firstFuture?.index ?? 0);
    expect(cursor(b)?.lastIndex).toBeGreaterThanOrEqual((firstFuture?.index ?? 0) - 3);
    expect(notes(b).held?.cycles).toBe(1);

    await b.cycle({ trueClock: async () => AHEAD });
    expect(heldWarnings()).toEqual([]);
    await b.cycle({ trueClock: async () => AHEAD });
    expect(notes(b).held?.cycles).toBe(3);
    // From the third cycle the log says so too, with the count held.
    expect(heldWarnings().map((w) => [w.cycles, w.readings])).toEqual([[3, future.length]]);
    const stored = b.stored().length;
    expect(stored).toBe(expected.length - future.length);

    // The clock is put right: the offset moves by an hour, and the held readings go out.
    b.share.clearRequests();
    const fixed = await b.cycle();
    expect(fixed.clock.replaced).toBe(true);
    expect(fixed.posted).toBe(future.length);
    expect(b.stored()).toHaveLength(expected.length);
    expect(notes(b).held).toBeUndefined();
    expect(cursor(b)?.lastIndex).toBe(records.at(-1)?.index);
  });

  it("a reading Share keeps refusing is quarantined with the fault, the others are posted, and it is tried again once a day", async () => {
    b = await bench({ receiver: { profile: "g4", seed: 32, days: 2 } });
    const expected = expectedReadings(b, 24);
    const refused = expected[Math.floor(expected.length / 3)];
    const value = refused?.[1] ?? 0;
    const withValue = expected.filter(([, v]) => v === value);
    b.share.setKnobs({ faults: { refuse: { values: [value], stMs: [] } } });
    const report = await b.cycle();
    expect(report.posted).toBe(expected.length - withValue.length);
    expect(b.stored().map((e) => [e.stMs, e.value, e.trend])).toEqual(
      expected.filter(([, v]) => v !== value),
    );
    expect(report.sinks[0]?.quarantined).toBe(withValue.length);
    expect(notes(b).quarantine.map((q) => [q.egv.stSeconds * 1000, q.egv.glucose, q.fault])).toEqual(
      withValue.map(([st, v]) => [st, v, "InvalidArgument"]),
    );
    expect(cursor(b)?.lastIndex).toBe(b.emulator.model.partitions[4]?.records.at(-1)?.index);

    // Within the day: not tried again.
    b.share.clearRequests();
    b.now += 12 * HOUR;
    await b.cycle();
    expect(b.share.requests.filter((r) => r.operation === POST && r.code === "InvalidArgument")).toHaveLength(
      0,
    );
    // A day later, still refused: tried once each, kept.
    b.now += 12 * HOUR;
    b.share.clearRequests();
    await b.cycle();
    expect(b.share.requests.filter((r) => r.operation === POST && r.code === "InvalidArgument")).toHaveLength(
      withValue.length,
    );
    expect(notes(b).quarantine).toHaveLength(withValue.length);
    // Share takes them now: out of quarantine, on Share.
    b.share.setKnobs({ faults: { refuse: { values: [], stMs: [] } } });
    b.now += 24 * HOUR;
    await b.cycle();
    expect(notes(b).quarantine).toHaveLength(0);
    const onShare = new Set(b.stored().map((e) => e.stMs));
    expect(withValue.every(([st]) => onShare.has(st))).toBe(true);
  });

  it("a batch whose every reading is refused on its own is the account's problem: nothing is quarantined", async () => {
    b = await bench({ receiver: { profile: "g4", seed: 33, days: 2 } });
    const expected = expectedReadings(b, 24);
    b.share.setKnobs({ faults: { refuse: { values: [...new Set(expected.map(([, v]) => v))], stMs: [] } } });
    const error = await b.cycle().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSharebridgeError(error)).toBe(true);
    expect(b.stored()).toHaveLength(0);
    expect(notes(b).quarantine).toHaveLength(0);
    expect(cursor(b)).toBeUndefined();
  });
});
