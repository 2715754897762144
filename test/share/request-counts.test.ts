/**
 * How many requests Share sees when it misbehaves (issue 10's figures), counted by the emulator on
 * fake time: twelve post attempts, each starting 5 minutes after the previous one ended (about an
 * hour), with the daemon's retry settings inside a call (2 retries, 5 s doubling to 30 s), each
 * posting the readings not yet stored. The daemon's own back-off between failed cycles (src/sync)
 * would only lower these numbers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ShareEmulator, ShareEmulatorKnobsInput } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import type { ShareEgv } from "../../src/share/egv.js";
import { DAEMON_SHARE_RETRY } from "../../src/sync/share-access.js";
import {
  settle,
  TIMEOUTS_BEYOND_FAKE_TIME,
  useFakeTimeWithExactBackOff,
  useRealTime,
} from "./support/fake-time.js";
import { clientFor, emulatorWithWearer, OP, PASSWORD, SERIAL, USER } from "./support/share-fixtures.js";

const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const MINUTE = 60_000;

describe("requests per hour against a misbehaving Share (5-minute cycles)", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  beforeEach(() => useFakeTimeWithExactBackOff(T0));
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
    useRealTime();
  });

  /** Twelve cycles, 5 minutes from the end of one to the start of the next; requests and outcome per cycle. */
  async function anHour(stepMs: number, beforeCycle: (cycle: number) => void = () => {}) {
    const pending: ShareEgv[] = [];
    const perCycle: number[] = [];
    const outcomes: string[] = [];
    for (let cycle = 0; cycle < 12; cycle++) {
      if (cycle > 0) await vi.advanceTimersByTimeAsync(5 * MINUTE);
      const startedAt = Date.now();
      beforeCycle(cycle);
      const seconds = Math.floor(Date.now() / 1000);
      pending.push({ stSeconds: seconds, dtSeconds: seconds, taSeconds: 0, glucose: 100 + cycle, trend: 4 });
      const before = emulator.count();
      const outcome = await settle(
        client.postEgvs(SERIAL, [...pending]).then(
          (result) => {
            pending.splice(0, result.readings);
            return "posted";
          },
          (error: { code?: string }) => String(error.code),
        ),
        5 * MINUTE,
        stepMs,
      );
      outcomes.push(outcome);
      perCycle.push(emulator.count() - before);
      expect(Date.now() - startedAt).toBeLessThan(5 * MINUTE);
    }
    return { perCycle, outcomes };
  }

  const start = async (knobs: ShareEmulatorKnobsInput, heldBy?: "silent" | "active") => {
    emulator = await emulatorWithWearer({
      knobs,
      accounts: [
        {
          name: USER,
          password: PASSWORD,
          ...(heldBy === undefined ? {} : { heldBy: { serial: "SM87654321", activity: heldBy } }),
        },
      ],
    });
    client = clientFor(emulator, { retry: DAEMON_SHARE_RETRY, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
  };

  it("a trickling server (a byte every 5 s): 1 request per cycle, each cycle over at 60 s: 12", async () => {
    await start({ faults: { trickle: { intervalMs: 5_000, paddingBytes: 1_000_000 } } });
    const { perCycle, outcomes } = await anHour(5_000);
    expect(perCycle).toEqual(Array(12).fill(1));
    expect(new Set(outcomes)).toEqual(new Set(["SHARE_UNAVAILABLE"]));
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 12 });
  });

  it("429 with Retry-After 120: 3 requests per cycle (at 0, 127.5 s, 262.5 s): 36", {
    timeout: 60_000,
  }, async () => {
    await start({
      faults: { throttle: { status: 429, retryAfterSeconds: 120, afterMs: 0, durationMs: 24 * 60 * MINUTE } },
    });
    const { perCycle, outcomes } = await anHour(2_500);
    expect(perCycle).toEqual(Array(12).fill(3));
    expect(new Set(outcomes)).toEqual(new Set(["SHARE_UNAVAILABLE"]));
  });

  it("401 on the login: 1 request in the hour", async () => {
    await start({ faults: { loginAnswer: "http-401" } });
    const { perCycle, outcomes } = await anHour(1_000);
    expect(perCycle).toEqual([1, ...Array(11).fill(0)]);
    expect(new Set(outcomes)).toEqual(new Set(["SHARE_CREDENTIALS"]));
  });

  it("a login answered with garbage: 1 request per cycle, never more often than every 5 minutes: 12", async () => {
    await start({ faults: { loginAnswer: "garbage" } });
    const { perCycle, outcomes } = await anHour(1_000);
    expect(perCycle).toEqual(Array(12).fill(1));
    expect(new Set(outcomes)).toEqual(new Set(["SHARE_PROTOCOL"]));
    const times = emulator.requests.map((r) => r.atMs - T0);
    expect(times.slice(1).every((t, i) => t - (times[i] ?? 0) >= 5 * MINUTE)).toBe(true);
  });

  it("a silent slot: taken over in the first cycle (8 requests), then 1 post per cycle: 19", async () => {
    await start({}, "silent");
    const { perCycle, outcomes } = await anHour(1_000);
    expect(perCycle).toEqual([8, ...Array(11).fill(1)]);
    expect(new Set(outcomes)).toEqual(new Set(["posted"]));
    expect(emulator.account(USER).egvs).toHaveLength(12);
  });

  it("an active slot (the other uploader posts every 5 minutes): 5 requests, then 3 per cycle, nothing taken: 38", async () => {
    await start({}, "active");
    const { perCycle, outcomes } = await anHour(1_000, (cycle) => {
      if (cycle > 0) emulator.holdSlot(USER, "SM87654321", "active");
    });
    expect(perCycle).toEqual([5, ...Array(11).fill(3)]);
    expect(new Set(outcomes)).toEqual(new Set(["SHARE_ASSIGNMENT"]));
    expect(emulator.count(OP.replace)).toBe(0);
    expect(emulator.account(USER).assignedSerial).toBe("SM87654321");
  });
});
