/**
 * Time limits against a misbehaving server (share-api §18.11; issue: a trickling reply held `sync`
 * for ever): every request ends at its overall deadline however slowly bytes arrive, and is not
 * repeated within the call; Retry-After on 429/503 is waited for before the next attempt (at most
 * 1 h) and handed to the caller as retryAfterMs. Fake timers, real HTTP over loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from "../../src/share/retry-after.js";
import { DAEMON_SHARE_RETRY } from "../../src/sync/share-access.js";
import { failure } from "./support/failure.js";
import {
  advanceExactly,
  settle,
  TIMEOUTS_BEYOND_FAKE_TIME,
  useFakeTimeWithExactBackOff,
  useRealTime,
} from "./support/fake-time.js";
import { clientFor, emulatorWithWearer, OP } from "./support/share-fixtures.js";

const T0 = Date.UTC(2026, 9, 1, 3, 0, 0);
const MINUTE = 60_000;

describe("deadline and Retry-After", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  beforeEach(() => useFakeTimeWithExactBackOff(T0));
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
    useRealTime();
  });

  it("a body trickling one byte every 5 s: the call ends at exactly 60 s, one request, no retry", async () => {
    emulator = await emulatorWithWearer({
      knobs: { faults: { trickle: { intervalMs: 5_000, paddingBytes: 100_000 } } },
    });
    client = clientFor(emulator, { retry: DAEMON_SHARE_RETRY, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
    const login = client.login();
    expect(await advanceExactly(login, 59_999, 20)).toBe(false);
    expect(await advanceExactly(login, 1)).toBe(true);
    const error = await failure(login);
    expect(error.code).toBe("SHARE_UNAVAILABLE");
    expect(error.message).toBe(
      `Share did not finish answering ${OP.authenticate} within 60 s [SHARE_UNAVAILABLE]`,
    );
    expect(error.context).toMatchObject({
      operation: OP.authenticate,
      reason: "deadline",
      deadlineMs: 60_000,
    });
    expect(Date.now() - T0).toBe(60_000);
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 1 });

    // The rest of the cycle does not log in again: refused by the breaker, no request.
    const again = await failure(client.listFollowers());
    expect(again.context).toMatchObject({ breaker: "not-before", reason: "deadline", retryAfterMs: 30_000 });
    expect(emulator.count()).toBe(1);
  });

  it("the deadline is a setting: 5 s", async () => {
    emulator = await emulatorWithWearer({
      knobs: { faults: { trickle: { intervalMs: 1_000, paddingBytes: 100 } } },
    });
    client = clientFor(emulator, {
      retry: DAEMON_SHARE_RETRY,
      timeouts: TIMEOUTS_BEYOND_FAKE_TIME,
      requestDeadlineMs: 5_000,
    });
    const time = client.serverTime();
    expect(await advanceExactly(time, 5_000)).toBe(true);
    expect((await failure(time)).context).toMatchObject({ reason: "deadline", deadlineMs: 5_000 });
    expect(emulator.count()).toBe(1);
  });

  it("429 with Retry-After 120 (the daemon's 2 retries): attempts at 0, 127.5 s and 262.5 s, then retryAfterMs", async () => {
    emulator = await emulatorWithWearer({
      knobs: {
        faults: { throttle: { status: 429, retryAfterSeconds: 120, afterMs: 0, durationMs: 60 * MINUTE } },
      },
    });
    client = clientFor(emulator, { retry: DAEMON_SHARE_RETRY, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
    const error = await failure(settle(client.serverTime(), 10 * MINUTE, 500));
    // Retry-After first, then p-retry's back-off: 5 s × 1.5, then 10 s × 1.5.
    expect(emulator.requests.map((r) => [(r.atMs - T0) / 1000, r.status])).toEqual([
      [0, 429],
      [127.5, 429],
      [262.5, 429],
    ]);
    expect(error.code).toBe("SHARE_UNAVAILABLE");
    expect(error.context).toMatchObject({ operation: OP.time, httpStatus: 429, retryAfterMs: 120_000 });
  });

  it("503 with Retry-After 30: the next attempt comes after it, and succeeds once the server is back", async () => {
    emulator = await emulatorWithWearer({
      knobs: { faults: { throttle: { status: 503, retryAfterSeconds: 30, afterMs: 0, durationMs: 20_000 } } },
    });
    client = clientFor(emulator, { retry: DAEMON_SHARE_RETRY, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
    await settle(client.serverTime(), 5 * MINUTE, 500);
    expect(emulator.requests.map((r) => [(r.atMs - T0) / 1000, r.status])).toEqual([
      [0, 503],
      [37.5, 200],
    ]);
  });

  it("Retry-After of 2 hours is bounded to 1 h; with no retry left it is only reported", async () => {
    emulator = await emulatorWithWearer({
      knobs: {
        faults: { throttle: { status: 429, retryAfterSeconds: 7_200, afterMs: 0, durationMs: 60 * MINUTE } },
      },
    });
    client = clientFor(emulator, { retry: { retries: 0 }, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
    const error = await failure(client.serverTime());
    expect(error.context["retryAfterMs"]).toBe(MAX_RETRY_AFTER_MS);
    expect(emulator.count()).toBe(1);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  it.each([
    ["120", 120_000],
    [" 0 ", 0],
    ["3600", 3_600_000],
    ["999999", 3_600_000],
    ["Thu, 01 Jan 2026 00:02:00 GMT", 120_000],
    ["Wed, 31 Dec 2025 23:00:00 GMT", 0],
    [["60", "5"], 60_000],
  ] as const)("%s → %i ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([[undefined], [""], ["soon"], ["-5"], ["1.5"], ["9".repeat(70)], [42]])(
    "%s → undefined",
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});
