/**
 * One sync cycle against the receiver emulator and the Share emulator (real HTTP on loopback, real
 * state files), with the host clock under the test's control.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { ShareSink } from "../../src/sinks/share-sink.js";
import { readStateFile } from "../../src/sync/state-store.js";
import { type Bench, bench, expectedReadings } from "./support/harness.js";

let b: Bench | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

const FIVE_MIN = 300_000;

describe("sync cycle", () => {
  it("a first run posts every real reading of the backfill window, once, oldest first", async () => {
    b = await bench({ backfillHours: 24 });
    const expected = expectedReadings(b, 24);
    expect(expected.length).toBeGreaterThan(200);
    const sizes: number[] = [];
    const client = b.client;
    const sink = new ShareSink(() => ({
      postBatch: (serial, batch, signal) => {
        sizes.push(batch.readings.length);
        return client.postBatch(serial, batch, signal);
      },
    }));
    const report = await b.cycle({ sinks: [sink] });
    expect(report.outcome).toBe("posted");
    expect(report.posted).toBe(expected.length);
    expect(report.posts).toBe(Math.ceil(expected.length / 50));
    expect(sizes).toEqual(
      Array.from({ length: Math.ceil(expected.length / 50) }, (_, i) =>
        Math.min(50, expected.length - i * 50),
      ),
    );
    expect(b.stored().map((e) => [e.stMs, e.value, e.trend])).toEqual(expected);
    expect(new Set(b.stored().map((e) => e.sn))).toEqual(new Set([b.emulator.serial]));
    // The cursor is the newest EGV record, and the state file says so.
    const newest = b.emulator.model.partitions[4]?.records.at(-1);
    expect(report.cursorAfter?.lastIndex).toBe(newest?.index);
    const saved = JSON.parse((await readStateFile(b.store.file)) ?? "{}");
    expect(saved.version).toBe(2);
    expect(saved.receivers[b.emulator.serial].sinks.share.cursors.egv.lastIndex).toBe(newest?.index);
    expect(saved.receivers[b.emulator.serial].heldOffset.offsetSeconds).toBe(report.clock.offsetSeconds);
  });

  it("steady state: one new reading costs three receiver round trips and one HTTP request", async () => {
    b = await bench({ receiver: { profile: "g5", seed: 4, days: 2, live: { intervalSeconds: 300 } } });
    await b.cycle();
    const before = b.stored().length;
    b.share.clearRequests();
    const requestsBefore = b.emulator.stats.requests;
    const idle = await b.cycle();
    expect(idle.outcome).toBe("nothing-new");
    expect(b.share.requests).toHaveLength(0);
    expect(b.emulator.stats.requests - requestsBefore).toBe(3);

    b.now += FIVE_MIN;
    const afterIdle = b.emulator.stats.requests;
    const report = await b.cycle();
    expect(report.outcome).toBe("posted");
    expect(report.posted).toBe(1);
    expect(b.stored()).toHaveLength(before + 1);
    expect(b.share.requests.map((r) => r.operation)).toEqual(["Publisher/PostReceiverEgvRecords"]);
    expect(b.emulator.stats.requests - afterIdle).toBe(3);
    expect(report.pagesRead).toBe(1);
  });

  it("never posts display-only records or special values", async () => {
    b = await bench({ receiver: { profile: "g4", seed: 8, days: 10 } });
    const report = await b.cycle({ backfillHours: 240 });
    const model = b.emulator.model.partitions[4]?.records ?? [];
    const displayOnly = model.filter((r) => "displayOnly" in r && r.displayOnly).length;
    const special = model.filter((r) => "special" in r && r.special !== null && !r.displayOnly).length;
    expect(displayOnly).toBeGreaterThan(0);
    expect(special).toBeGreaterThan(0);
    expect(report.skipped["display-only"]).toBe(displayOnly);
    expect(report.skipped.special).toBe(special);
    expect(b.stored().every((e) => e.value >= 39 && e.value <= 401)).toBe(true);
    expect(b.stored()).toHaveLength(expectedReadings(b, 240).length);
  });

  it("a post failing part-way leaves the cursor after the last acknowledged batch; the next cycle posts the rest once", async () => {
    const current = await bench({ backfillHours: 24 });
    b = current;
    const total = expectedReadings(current, 24).length;
    // Share goes down after the second batch.
    let posts = 0;
    const sink = new ShareSink(() => ({
      postBatch: async (serial, batch, signal) => {
        const result = await current.client.postBatch(serial, batch, signal);
        if (++posts === 2) current.share.setOutage(true);
        return result;
      },
    }));
    const failed = await current.cycle({ sinks: [sink] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSharebridgeError(failed, "SHARE_UNAVAILABLE")).toBe(true);
    expect((failed as { context: Record<string, unknown> }).context).toMatchObject({
      posted: 100,
      backlog: total - 100,
    });
    expect(b.stored()).toHaveLength(100);
    const cursor = b.store.current.receivers[b.emulator.serial]?.sinks?.["share"]?.cursors.egv;
    expect(cursor?.lastStSeconds).toBe((b.stored().at(-1)?.stMs ?? 0) / 1000);

    b.share.setOutage(false);
    b.share.clearRequests();
    const report = await b.cycle();
    expect(report.posted).toBe(total - 100);
    expect(b.stored()).toHaveLength(total);
    expect(new Set(b.stored().map((e) => e.stMs)).size).toBe(total);
    expect(b.share.requests.filter((r) => r.code === "DuplicateEgvPosted")).toHaveLength(0);
  });

  it("a dry run posts and writes nothing", async () => {
    b = await bench();
    const report = await b.cycle({ dryRun: true });
    expect(report.outcome).toBe("dry-run");
    expect(report.wouldPost).toHaveLength(expectedReadings(b, 24).length);
    expect(b.share.count()).toBe(0);
    expect(await readStateFile(b.store.file)).toBeUndefined();
  });

  it("refuses to read or post without a synchronised clock", async () => {
    b = await bench();
    const error = await b
      .cycle({
        trueClock: async () => ({
          kind: "unsynchronised-host",
          source: "test",
          correctionMs: 0,
          synchronised: false,
        }),
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isSharebridgeError(error, "CLOCK_UNSYNCHRONISED")).toBe(true);
    expect(b.share.count()).toBe(0);
    expect(b.store.current.receivers).toEqual({});
  });

  it("the offset is held: a cycle whose measurement jitters by a second posts nothing twice", async () => {
    b = await bench();
    const first = await b.cycle();
    b.now += 900; // the receiver's whole-second clock now reads the other side of a second
    const second = await b.cycle();
    expect(second.clock.offsetSeconds).toBe(first.clock.offsetSeconds);
    expect(second.clock.replaced).toBe(false);
    expect(b.share.requests.filter((r) => r.code === "DuplicateEgvPosted")).toHaveLength(0);
  });

  it("after an erased database the cursor restarts and new readings are posted", async () => {
    b = await bench({ receiver: { profile: "g4", seed: 2, days: 1, live: { intervalSeconds: 300 } } });
    await b.cycle();
    const before = b.stored().length;
    b.emulator.eraseDatabase();
    b.now += 2 * FIVE_MIN;
    const report = await b.cycle();
    expect(report.discontinuities.map((d) => d.kind)).toContain("erased");
    // Ten minutes of a fresh database: two readings, and (at some hours of the emulator's day) the
    // display-only record of a calibration, which is settled but not posted.
    const records = b.emulator.model.partitions[4]?.records ?? [];
    const readings = records.filter((r) => "displayOnly" in r && !r.displayOnly);
    expect(records[0]?.index).toBe(0);
    expect(readings).toHaveLength(2);
    expect(report.posted).toBe(2);
    expect(report.skipped["display-only"]).toBe(records.length - 2);
    expect(b.stored()).toHaveLength(before + 2);
    expect(report.cursorAfter?.lastIndex).toBe(records.length - 1);
  });
});

describe("sync cycle with Share as the clock", () => {
  it("Share down and the host unsynchronised: waiting for Share (not for NTP), with the readings waiting counted", async () => {
    b = await bench();
    const expected = expectedReadings(b, 24);
    const { SharebridgeError } = await import("../../src/errors.js");
    const error = await b
      .cycle({
        trueClock: async () => {
          throw new SharebridgeError("SHARE_UNAVAILABLE", "Share answered 503");
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isSharebridgeError(error, "SHARE_UNAVAILABLE")).toBe(true);
    expect((error as { context: Record<string, unknown> }).context).toMatchObject({
      posted: 0,
      backlog: expected.length,
    });
    expect(b.share.count()).toBe(0);
    expect(b.store.current.receivers[b.emulator.serial]?.heldOffset).toBeUndefined();
  });
});
