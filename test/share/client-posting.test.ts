/**
 * What a post leaves on the server: duplicates and future readings (share-api §6.5), TA and WT
 * (§6.3), and both time modes of the clock model reading back the same WT (DESIGN §5).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { shareEgv } from "../../src/share/egv.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { shareTimes, type TimeMode } from "../../src/time/share-times.js";
import { failure } from "./support/failure.js";
import {
  clientFor,
  emulatorWithWearer,
  OP,
  PASSWORD,
  readings,
  SERIAL,
  USER,
} from "./support/share-fixtures.js";

const now = () => Math.floor(Date.now() / 1000);

describe("posting readings", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("a batch with already stored readings is acknowledged as duplicate and the new ones are stored", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = now();
    const all = readings(10, end);
    await client.postEgvs(SERIAL, all.slice(0, 6));
    emulator.clearRequests();
    const result = await client.postEgvs(SERIAL, all.slice(3));
    expect(result.batches).toEqual([
      { outcome: "duplicate", count: 7, taSeconds: 0, firstStSeconds: end - 6 * 300, lastStSeconds: end },
    ]);
    expect(emulator.requests.map((r) => [r.operation, r.code])).toEqual([[OP.post, "DuplicateEgvPosted"]]);
    expect(emulator.account(USER).egvs.map((e) => e.value)).toEqual([
      100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
    ]);
  });

  it("a reading in the future is dropped by the server: only the rest is acknowledged, the future one is handed back (share-api §18.5)", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = now();
    const future = { stSeconds: end + 600, dtSeconds: end + 600, taSeconds: 0, glucose: 222, trend: 3 };
    const result = await client.postEgvs(SERIAL, [...readings(3, end), future]);
    expect(result.batches.map((b) => [b.outcome, b.count, b.lastStSeconds])).toEqual([["future", 3, end]]);
    expect(result.readings).toBe(3);
    expect(result.future).toEqual([future]);
    expect(emulator.requests.at(-1)?.code).toBe("FutureEgvPosted");
    expect(emulator.account(USER).egvs.map((e) => e.value)).toEqual([100, 101, 102]);
  });

  it("readings are sorted oldest first and a change of TA starts a new post", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = now();
    const batch = [
      { stSeconds: end - 100, dtSeconds: end - 100, taSeconds: 5, glucose: 103, trend: 4 },
      { stSeconds: end - 400, dtSeconds: end - 400, taSeconds: 5, glucose: 102, trend: 4 },
      { stSeconds: end - 1000, dtSeconds: end - 1000, taSeconds: 0, glucose: 100, trend: 4 },
      { stSeconds: end - 700, dtSeconds: end - 700, taSeconds: 0, glucose: 101, trend: 4 },
    ];
    const result = await client.postEgvs(SERIAL, batch);
    expect(result.batches.map((b) => [b.taSeconds, b.count, b.lastStSeconds])).toEqual([
      [0, 2, end - 700],
      [5, 2, end - 100],
    ]);
    expect(emulator.account(USER).egvs.map((e) => [e.value, e.wtMs / 1000 - end])).toEqual([
      [100, -1000],
      [101, -700],
      [102, -395],
      [103, -95],
    ]);
  });

  it("refuses special values and malformed readings before any request", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const good = readings(1, now())[0];
    if (good === undefined) throw new Error("no reading");
    for (const bad of [
      { ...good, glucose: 5 },
      { ...good, glucose: 402 },
      { ...good, stSeconds: good.stSeconds + 0.5 },
      { ...good, dtSeconds: Number.NaN },
      { ...good, taSeconds: 1e12 },
    ]) {
      expect((await failure(client.postEgvs(SERIAL, [good, bad]))).code).toBe("SHARE_INPUT_INVALID");
    }
    expect((await failure(client.postEgvs("SM 1234", [good]))).code).toBe("SHARE_INPUT_INVALID");
    expect(emulator.count()).toBe(0);
  });

  it("an empty list costs no request", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    expect(await client.postEgvs(SERIAL, [])).toEqual({ batches: [], readings: 0, future: [] });
    expect(emulator.count()).toBe(0);
  });

  it("both time modes of the clock model read back the same WT; corrected DT carries the wearer's zone", async () => {
    emulator = await emulatorWithWearer({
      accounts: [
        { name: "corrected", password: PASSWORD },
        { name: "raw", password: PASSWORD },
      ],
    });
    // A wearer at UTC−7 h whose receiver system clock is 3 h 59 min 25 s behind true UTC (the size of
    // the 2015 capture's TA, share-api §6.3) and whose display clock shows the right local time, so
    // display − system = 14 365 − 25 200 s. The emulator derives DT's offset from the posted
    // DT − ST (share-api §14.2).
    const offsetSeconds = 14_365;
    const zoneSeconds = -7 * 3600;
    const displayMinusSystem = offsetSeconds + zoneSeconds;
    const nowReceiverSeconds = Math.floor((Date.now() - RECEIVER_EPOCH_MS) / 1000) - offsetSeconds;
    const records = Array.from({ length: 5 }, (_, i) => {
      const systemSeconds = nowReceiverSeconds - (4 - i) * 300;
      return { systemSeconds, displaySeconds: systemSeconds + displayMinusSystem };
    });
    const wt: Record<TimeMode, number[]> = { corrected: [], raw: [] };
    const read: Record<TimeMode, unknown[]> = { corrected: [], raw: [] };
    for (const mode of ["corrected", "raw"] as const) {
      const modeClient = clientFor(emulator, { username: mode, password: PASSWORD });
      try {
        const times = records.map((r) => shareTimes(r, offsetSeconds, mode));
        wt[mode] = times.map((t) => t.wtMs);
        await modeClient.postEgvs(
          `SM0000000${mode === "raw" ? 1 : 2}`,
          times.map((t, i) => shareEgv(t, 110 + i, 4)),
        );
        const got = await modeClient.readLatestGlucose({ minutes: 60, maxCount: 12 });
        read[mode] = got.readings.map((r) => [r.wtMs, r.dtMs, r.dtOffsetMinutes, r.glucose]);
      } finally {
        await modeClient.close();
      }
    }
    expect(wt.raw).toEqual(wt.corrected);
    // Corrected: ST is true UTC, so DT − ST is the wearer's zone, −420 min.
    expect(read.corrected).toEqual([...wt.corrected].reverse().map((ms, i) => [ms, ms, -420, 114 - i]));
    // Raw (the 2015 form): DT − ST is display − system, which carries the system clock's error.
    expect(read.raw).toEqual(
      [...wt.raw].reverse().map((ms, i) => [ms, ms, Math.round(displayMinusSystem / 60), 114 - i]),
    );
    // In raw mode ST is the receiver's own clock; only WT is the true instant.
    const rawStored = emulator.account("raw").egvs;
    expect(rawStored.map((e) => e.wtMs - e.stMs)).toEqual(Array(5).fill(offsetSeconds * 1000));
  });
});
