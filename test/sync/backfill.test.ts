/**
 * BACKFILLED_EGV_DATA through the engine (receiver-protocol §4.2, §10.4): on a touchscreen receiver
 * the readings a signal loss kept out of EGV_DATA reach Share from type 18, each once, with a cursor
 * of their own per sink; the steady state costs one round trip more than on a G4, where nothing
 * changes.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { EgvRecord, ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import type { Reading } from "../../src/readings/reading.js";
import type { Sink } from "../../src/sinks/sink.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { readingSystemSeconds } from "../../src/time/share-times.js";
import { type Bench, bench } from "./support/harness.js";

const HOUR = 3_600_000;
const EGV = 4;
const BACKFILL = 18;

let b: Bench | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

function records(emulator: ReceiverEmulator, type: number): EgvRecord[] {
  return (emulator.model.partitions[type]?.records ?? []) as EgvRecord[];
}

/**
 * What Share must hold: every real reading of both partitions (not display-only, not a special
 * value) from `cutoff` (ms) on, as [ST ms, value, posted trend], oldest first. ST is the reading's time
 * (offset 10 on these layouts) under the emulator's true offset.
 */
function expected(bench: Bench, cutoff: number): [number, number, number][] {
  const model = bench.emulator.model;
  const offsetSeconds = Math.round((bench.now - RECEIVER_EPOCH_MS) / 1000 - model.clock.systemTime);
  return [...records(bench.emulator, EGV), ...records(bench.emulator, BACKFILL)]
    .filter((r) => !r.displayOnly && r.special === null)
    .map((r): [number, number, number] => [
      RECEIVER_EPOCH_MS + (readingSystemSeconds(r) + offsetSeconds) * 1000,
      r.glucose,
      r.trend <= 7 ? r.trend : 0,
    ])
    .filter(([st]) => st >= cutoff)
    .sort((x, y) => x[0] - y[0]);
}

/** Requests the receiver received during `run`, by command name. */
async function requestsDuring(emulator: ReceiverEmulator, run: () => Promise<unknown>) {
  const before = { ...emulator.stats.requestsByCommand };
  await run();
  const names: Record<number, string> = { 16: "range", 17: "pages", 18: "header", 34: "time" };
  const out: Record<string, number> = {};
  for (const [id, count] of Object.entries(emulator.stats.requestsByCommand)) {
    const delta = count - (before[Number(id)] ?? 0);
    if (delta > 0) out[names[Number(id)] ?? id] = delta;
  }
  return out;
}

describe("backfilled readings (type 18)", () => {
  it("a signal loss on a touchscreen: the gap in EGV_DATA is closed on Share from type 18, each reading once", async () => {
    b = await bench({
      receiver: { profile: "touchscreen", seed: 8, days: 1, live: { intervalSeconds: 300 } },
    });
    const windowStart = b.now - 24 * HOUR;
    const first = await b.cycle();
    // The history already holds earlier gaps and their backfill: the first run posts both.
    expect(first.backfillRecords).toBe(records(b.emulator, BACKFILL).length);
    expect(first.backfillRecords).toBeGreaterThan(0);
    expect(b.stored().map((e) => [e.stMs, e.value, e.trend])).toEqual(expected(b, windowStart));
    const initialBackfill = records(b.emulator, BACKFILL).length;

    // Live, a cycle an hour, until the receiver has backfilled a new signal loss; one cycle more.
    let hours = 0;
    while (records(b.emulator, BACKFILL).length === initialBackfill) {
      b.now += HOUR;
      await b.cycle();
      hours++;
      expect(hours).toBeLessThan(72);
    }
    const filled = records(b.emulator, BACKFILL).slice(initialBackfill);
    const report = await b.cycle();
    expect(report.backfillRecords).toBe(0);

    // Every slot of the gap is on Share, from type 18; nothing is there twice; the window is whole.
    const stored = b.stored();
    const onShare = new Set(stored.map((e) => e.stMs));
    expect(onShare.size).toBe(stored.length);
    const want = expected(b, windowStart);
    expect(stored.map((e) => [e.stMs, e.value, e.trend])).toEqual(want);
    const offsetSeconds = b.store.current.receivers[b.emulator.serial]?.heldOffset?.offsetSeconds ?? 0;
    for (const record of filled) {
      expect(onShare.has(RECEIVER_EPOCH_MS + (readingSystemSeconds(record) + offsetSeconds) * 1000)).toBe(
        true,
      );
    }
    // Each partition has its own cursor, at its newest record.
    const cursors = b.store.current.receivers[b.emulator.serial]?.sinks?.["share"]?.cursors;
    expect(cursors?.egv?.lastIndex).toBe(records(b.emulator, EGV).at(-1)?.index);
    expect(cursors?.backfill?.lastIndex).toBe(filled.at(-1)?.index);
  });

  it("steady state: one round trip more per cycle on a touchscreen (the type-18 probe), none more on a G4", async () => {
    const counts: Record<string, Record<string, number>[]> = {};
    for (const profile of ["g4", "touchscreen"] as const) {
      b = await bench({ receiver: { profile, seed: 5, days: 1, live: { intervalSeconds: 300 } } });
      await b.cycle();
      counts[profile] = [];
      for (let i = 0; i < 3; i++) {
        b.now += 300_000;
        counts[profile].push(await requestsDuring(b.emulator, () => (b as Bench).cycle()));
      }
      await b.close();
      b = undefined;
    }
    // Every cycle: the clock, EGV_DATA's range and its newest page; on the touchscreen one header
    // (or range) request more to see that type 18 has nothing after its cursor.
    for (const cycle of counts["g4"] ?? []) expect(cycle).toEqual({ time: 1, range: 1, pages: 1 });
    for (const cycle of counts["touchscreen"] ?? [])
      expect(cycle).toEqual({ time: 1, range: 1, pages: 1, header: 1 });
    console.log(`round trips per steady-state cycle: ${JSON.stringify(counts)}`);
  });

  it("an erased database: both partitions start again, only what is new is posted", async () => {
    b = await bench({
      receiver: { profile: "touchscreen", seed: 8, days: 1, live: { intervalSeconds: 300 } },
    });
    await b.cycle();
    const before = b.stored().length;
    b.emulator.eraseDatabase();
    b.now += 20 * 60_000;
    const report = await b.cycle();
    expect(report.discontinuities.map((d) => d.kind)).toEqual(["erased"]);
    // The readings since the erase, and only they, went to Share.
    const since = records(b.emulator, EGV).filter((r) => !r.displayOnly && r.special === null);
    expect(report.posted).toBe(since.length);
    expect(report.posted).toBe(4);
    expect(b.stored().length).toBe(before + 4);
    const cursors = b.store.current.receivers[b.emulator.serial]?.sinks?.["share"]?.cursors;
    expect(cursors?.egv?.lastIndex).toBe(3);
    b.now += 5 * 60_000;
    expect((await b.cycle()).posted).toBe(1);
  });

  it("a sink that settles once, through a backfilled reading, has both cursors moved: EGV to the last EGV it was handed", async () => {
    b = await bench({ receiver: { profile: "touchscreen", seed: 8, days: 1 } });
    const received: Reading[] = [];
    const sink: Sink = {
      name: "archive",
      open(context) {
        return {
          async write(readings) {
            received.push(...readings);
          },
          async end() {
            const last = received.at(-1);
            if (last !== undefined) await context.settle(last, received);
            return { delivered: received.length, requests: 1 };
          },
        };
      },
    };
    const report = await b.cycle({ sinks: [sink] });
    // Handed partition after partition: every EGV reading, then every backfilled one.
    const types = received.map((r) => r.recordType);
    const firstBackfill = types.indexOf(BACKFILL);
    expect(firstBackfill).toBeGreaterThan(0);
    expect(types.slice(0, firstBackfill).every((t) => t === EGV)).toBe(true);
    expect(types.slice(firstBackfill).every((t) => t === BACKFILL)).toBe(true);
    expect(received.length - firstBackfill).toBe(report.backfillRecords);
    const cursors = b.store.current.receivers[b.emulator.serial]?.sinks?.["archive"]?.cursors;
    expect(cursors?.egv?.lastIndex).toBe(records(b.emulator, EGV).at(-1)?.index);
    expect(cursors?.backfill?.lastIndex).toBe(records(b.emulator, BACKFILL).at(-1)?.index);
    // The next cycle hands it nothing again.
    received.length = 0;
    await b.cycle({ sinks: [sink] });
    expect(received).toEqual([]);
  });

  it("a dry run lists the backfilled readings it would post", async () => {
    b = await bench({ receiver: { profile: "touchscreen", seed: 8, days: 1 } });
    const dry = await b.cycle({ dryRun: true });
    const windowStart = b.now - 24 * HOUR;
    expect(dry.wouldPost.map((e) => e.stSeconds * 1000).sort((x, y) => x - y)).toEqual(
      expected(b, windowStart).map(([st]) => st),
    );
    expect(dry.backfillRecords).toBe(records(b.emulator, BACKFILL).length);
  });
});
