/** Same seed, same bytes; option checks; the latency model. */
import { describe, expect, test } from "vitest";
import { createReceiverEmulator, PROFILE_IDS } from "../../../src/emulator/receiver/index.js";
import { replyDelayMs } from "../../../src/emulator/receiver/latency.js";
import { Prng } from "../../../src/emulator/receiver/prng.js";
import { isSharebridgeError } from "../../../src/errors.js";
import { NOW, TestHost } from "./helpers.js";

function allPages(seed: number, profile: (typeof PROFILE_IDS)[number]): Buffer {
  const emulator = createReceiverEmulator({ profile, seed, days: 10, now: () => NOW });
  const types = Object.keys(emulator.model.partitions).map(Number);
  return Buffer.concat(types.flatMap((type) => emulator.pages(type)));
}

describe("determinism", () => {
  test.each(PROFILE_IDS)("%s: the same seed gives identical bytes; another seed does not", (profile) => {
    const a = allPages(42, profile);
    expect(a.equals(allPages(42, profile))).toBe(true);
    expect(a.equals(allPages(43, profile))).toBe(false);
  });

  test("different seeds give different receivers", () => {
    const a = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW });
    const b = createReceiverEmulator({ seed: 2, days: 1, now: () => NOW });
    expect(a.serial).not.toBe(b.serial);
    expect(a.model.transmitterId).not.toBe(b.model.transmitterId);
    expect(a.clock.systemTime).not.toBe(b.clock.systemTime);
  });

  test("live time taken in small steps or one jump writes the same database", () => {
    let stepped = NOW;
    let jumped = NOW;
    const a = createReceiverEmulator({ seed: 8, days: 2, now: () => stepped, live: { intervalSeconds: 7 } });
    const b = createReceiverEmulator({ seed: 8, days: 2, now: () => jumped, live: { intervalSeconds: 7 } });
    const initial = b.model.partitions[4]?.records.length ?? 0;
    for (let i = 0; i < 600; i++) {
      stepped += 1000;
      void a.model;
    }
    jumped += 600_000;
    for (const type of [3, 4, 5, 7, 10, 11, 12]) {
      expect(Buffer.concat(a.pages(type)).equals(Buffer.concat(b.pages(type))), `type ${type}`).toBe(true);
    }
    expect(b.model.partitions[4]?.records.length).toBeGreaterThanOrEqual(initial + 85);
  });

  test("the PRNG is mulberry32 (checked against the usual closure form), pinned for seed 1", () => {
    const reference = (seed: number) => {
      let a = seed;
      return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    };
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const ours = new Prng(seed);
      const theirs = reference(seed);
      for (let i = 0; i < 100; i++) expect(ours.next()).toBe(theirs());
    }
    // Pinned: a change here changes every generated database.
    const r = new Prng(1);
    expect([r.next(), r.next(), r.next()].map((x) => x * 2 ** 32)).toEqual([
      2_693_262_067, 11_749_833, 2_265_367_787,
    ]);
  });
});

describe("options are checked", () => {
  test.each([
    [{ seed: -1 }, "seed"],
    [{ seed: 1.5 }, "seed"],
    [{ days: 366 }, "days"],
    [{ days: Number.NaN }, "days"],
    [{ profile: "g7" as never }, "profile"],
    [{ serial: "SM 1234" }, "serial"],
    [{ transmitterId: "6ABCI" }, "transmitter id"],
    [{ profile: "g5" as const, transmitterId: "6ABCD" }, "transmitter id"],
    [{ pagesPerRequest: 0 }, "pagesPerRequest"],
    [{ pagesPerRequest: 125 }, "pagesPerRequest"],
    [{ live: { intervalSeconds: 0 } }, "live.intervalSeconds"],
    [{ chargerCurrentWidth: 2 as never }, "chargerCurrentWidth"],
    [{ maxPages: 0 }, "maxPages"],
    [{ clock: { dstShiftSeconds: 1800 } }, "dstShiftSeconds"],
    [{ clock: { displayOffsetSeconds: 2 ** 31 } }, "displayOffsetSeconds"],
    [{ clock: { systemSkewSeconds: -(2 ** 30) } }, "receiver times"],
    [{ errorPolicy: { badCrc: "ignore" as never } }, "errorPolicy.badCrc"],
    [{ errorPolicy: { unknownKey: 1 } as never }, "unknown errorPolicy key"],
  ])("%j → CONFIG_INVALID mentioning %s", (options, mention) => {
    try {
      createReceiverEmulator({ now: () => NOW, days: 1, ...options });
      expect.unreachable();
    } catch (error) {
      expect(isSharebridgeError(error, "CONFIG_INVALID")).toBe(true);
      expect((error as Error).message).toContain(mention);
    }
  });

  test("an empty history is allowed: every record partition is empty", () => {
    const emulator = createReceiverEmulator({ days: 0, now: () => NOW });
    expect(emulator.model.partitions[4]?.range).toBeUndefined();
    expect(emulator.pages(4)).toEqual([]);
    expect(emulator.model.partitions[0]?.range).toEqual({ firstPage: 0, lastPage: 0 });
  });
});

describe("latency model (spec §1.5)", () => {
  test("delays per command class match the capture", () => {
    const r = new Prng(5);
    for (let i = 0; i < 200; i++) {
      const scalar = replyDelayMs(0x22, 0, r);
      expect(scalar).toBeGreaterThanOrEqual(12);
      expect(scalar).toBeLessThanOrEqual(16);
      const range = replyDelayMs(0x10, 0, r);
      expect(Math.abs(range - 20)).toBeLessThanOrEqual(2);
      const header = replyDelayMs(0x12, 0, r);
      expect(Math.abs(header - 26)).toBeLessThanOrEqual(2);
      expect(Math.abs(replyDelayMs(0x11, 1, r) - 25)).toBeLessThanOrEqual(2);
      expect(Math.abs(replyDelayMs(0x11, 4, r) - 49)).toBeLessThanOrEqual(2);
      const partitions = replyDelayMs(0x0f, 0, r);
      expect(partitions).toBeGreaterThanOrEqual(100);
      expect(partitions).toBeLessThanOrEqual(220);
      expect(Math.abs(replyDelayMs(0x36, 0, r) - 180)).toBeLessThanOrEqual(10);
    }
  });

  test("realistic: replies take at least the modelled time", async () => {
    const emulator = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW, realistic: true });
    const host = await TestHost.open(emulator.opener());
    let started = performance.now();
    await host.call(0x0a);
    expect(performance.now() - started).toBeGreaterThanOrEqual(11);
    started = performance.now();
    await host.call(0x0f);
    expect(performance.now() - started).toBeGreaterThanOrEqual(99);
    await host.close();
    await emulator.close();
  });
});
