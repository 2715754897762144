/**
 * The read call (share-api §7): both answer formats the server has used give the same readings.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator, ShareEmulatorKnobsInput } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { failure } from "./support/failure.js";
import { clientFor, emulatorWithWearer, OP, SERIAL } from "./support/share-fixtures.js";

describe("reading back", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  async function postAndRead(knobs: ShareEmulatorKnobsInput) {
    emulator = await emulatorWithWearer({ knobs });
    client = clientFor(emulator);
    const end = Math.floor(Date.now() / 1000);
    // DT 4 hours behind ST: the wearer's wall clock in a UTC−4 zone.
    const trends = [1, 4, 7, 8, 9, 0];
    await client.postEgvs(
      SERIAL,
      trends.map((trend, i) => ({
        stSeconds: end - (5 - i) * 300,
        dtSeconds: end - (5 - i) * 300 - 4 * 3600,
        taSeconds: 0,
        glucose: 60 + i * 20,
        trend,
      })),
    );
    const result = await client.readLatestGlucose({ minutes: 1440, maxCount: 288 });
    return { end, result };
  }

  it.each([
    ["modern (Date(ms) without slashes, trend names)", { dateStyle: "modern", trendStyle: "name" }],
    ["legacy (/Date(ms)/, trend numbers)", { dateStyle: "legacy", trendStyle: "number" }],
  ] as const)("%s", async (_title, knobs) => {
    const { end, result } = await postAndRead(knobs);
    expect(result.skipped).toBe(0);
    expect(result.readings).toEqual(
      [0, 1, 2, 3, 4, 5].reverse().map((i) => {
        const ms = (end - (5 - i) * 300) * 1000;
        // 8 and 9 were posted as 0 (share-api §18.1), and so read back.
        const trend = [1, 4, 7, 0, 0, 0][i] ?? -1;
        return {
          wtMs: ms,
          stMs: ms,
          dtMs: ms,
          dtOffsetMinutes: -240,
          glucose: 60 + i * 20,
          trend,
          trendName: [
            "None",
            "DoubleUp",
            "SingleUp",
            "FortyFiveUp",
            "Flat",
            "FortyFiveDown",
            "SingleDown",
            "DoubleDown",
            "NotComputable",
            "RateOutOfRange",
          ][trend],
        };
      }),
    );
  });

  it("honours minutes and maxCount", async () => {
    const { end } = await postAndRead({});
    const lastNine = await client.readLatestGlucose({ minutes: 9, maxCount: 288 });
    expect(lastNine.readings.map((r) => r.wtMs / 1000)).toEqual([end, end - 300]);
    const two = await client.readLatestGlucose({ minutes: 1440, maxCount: 2 });
    expect(two.readings.map((r) => r.glucose)).toEqual([160, 140]);
  });

  it("answers [] until the account has a follower when the server requires one", async () => {
    await postAndRead({ requireFollowerForRead: true });
    expect(await client.readLatestGlucose({ minutes: 60, maxCount: 12 })).toEqual({
      readings: [],
      skipped: 0,
      emptyBecause: "no-data",
    });
    await client.inviteFollower("Mum", "mum@example.org");
    expect((await client.readLatestGlucose({ minutes: 60, maxCount: 12 })).readings).toHaveLength(6);
  });

  it("refuses out-of-range windows before any request", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    for (const [minutes, maxCount] of [
      [0, 1],
      [1441, 1],
      [10, 0],
      [10, 289],
      [1.5, 3],
    ] as const) {
      expect((await failure(client.readLatestGlucose({ minutes, maxCount }))).code).toBe(
        "SHARE_INPUT_INVALID",
      );
    }
    expect(emulator.count(OP.read)).toBe(0);
  });
});
