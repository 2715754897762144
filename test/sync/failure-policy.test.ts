/**
 * The daemon's failure policy, a pure function: each kind of failure → phase, what it waits for, how
 * long, and what it resets. One row per kind.
 */
import { describe, expect, it } from "vitest";
import { type ErrorCode, SharebridgeError } from "../../src/errors.js";
import { decideOnFailure } from "../../src/sync/failure-policy.js";

const failure = (code: ErrorCode, message = "what went wrong") => new SharebridgeError(code, message);
const context = { shareFailures: 2, readingIntervalSeconds: 300, jitter: 0.5 };

describe("failure policy", () => {
  it.each([
    ["DEVICE_DISCONNECTED", "receiver-error", "waiting-for-receiver", 1000, true, false, 2],
    ["LINK_FAILED", "receiver-error", "waiting-for-receiver", 1000, true, false, 2],
    ["PAGE_BAD_CRC", "receiver-error", "waiting-for-receiver", 1000, true, false, 2],
    ["XML_INVALID", "receiver-error", "waiting-for-receiver", 1000, true, false, 2],
    ["HISTORY_DISCONTINUITY", "receiver-error", "waiting-for-receiver", 1000, true, false, 2],
    ["CLOCK_UNSYNCHRONISED", "waiting-for-clock", "waiting-for-clock", 30_000, false, true, 2],
    // 30 s doubling: the third failure in a row may wait up to 120 s; jitter 0.5 → halfway.
    ["SHARE_UNAVAILABLE", "share-error", "waiting-for-share", 75_000, false, false, 3],
    ["SHARE_SESSION", "share-error", "waiting-for-share", 75_000, false, false, 3],
    ["SHARE_ASSIGNMENT", "share-error", "waiting-for-operator", 900_000, false, false, 2],
    ["SHARE_CREDENTIALS", "share-error", "waiting-for-operator", 0, false, false, 2],
    ["SHARE_LOCKED_OUT", "share-error", "waiting-for-operator", 0, false, false, 2],
    ["STATE_WRITE_FAILED", "state-error", "waiting-for-operator", 300_000, false, false, 2],
    ["INTERNAL", "error", "idle", 60_000, false, false, 2],
  ] as const)(
    "%s → %s, %s, wait %i ms",
    (code, outcome, phase, waitMs, reconnect, recheckClock, shareFailures) => {
      const decision = decideOnFailure(failure(code), context);
      expect(decision).toMatchObject({ outcome, phase, waitMs, reconnect, recheckClock, shareFailures });
      expect(decision.shareCode).toBe(code.startsWith("SHARE_") ? code : undefined);
    },
  );

  it("says what it waits for in words, except where the login breaker explains", () => {
    expect(decideOnFailure(failure("LINK_FAILED", "no answer"), context).waitingFor).toBe(
      "the receiver to answer (no answer [LINK_FAILED])",
    );
    expect(decideOnFailure(failure("SHARE_UNAVAILABLE", "503"), context).waitingFor).toBe(
      "Share to answer (503 [SHARE_UNAVAILABLE]); retrying in 75 s",
    );
    const refused = decideOnFailure(failure("SHARE_CREDENTIALS"), context);
    expect([refused.announce, refused.waitingFor]).toEqual([false, undefined]);
  });

  it("the Share back-off doubles from 30 s to at most 10 min, spread by the jitter", () => {
    const waits = [0, 1, 2, 3, 4, 5, 6, 10].map(
      (n) =>
        decideOnFailure(failure("SHARE_UNAVAILABLE"), { ...context, shareFailures: n, jitter: 0.999 }).waitMs,
    );
    expect(waits).toEqual([30_000, 59_970, 119_910, 239_790, 479_550, 599_430, 599_430, 599_430]);
    expect(
      decideOnFailure(failure("SHARE_UNAVAILABLE"), { ...context, shareFailures: 6, jitter: 0 }).waitMs,
    ).toBe(30_000);
  });

  it("waits as long as Share's Retry-After asks, at most an hour, never less than the back-off", () => {
    const asked = (ms: number) =>
      decideOnFailure(new SharebridgeError("SHARE_UNAVAILABLE", "429", { retryAfterMs: ms }), context).waitMs;
    expect([asked(120_000), asked(10_000), asked(7_200_000)]).toEqual([120_000, 75_000, 3_600_000]);
  });

  it("anything that is not a sharebridge error is a bug: logged, retried in a minute", () => {
    const decision = decideOnFailure(new TypeError("x is undefined"), context);
    expect(decision).toMatchObject({ outcome: "error", phase: "idle", waitMs: 60_000, announce: true });
  });
});
