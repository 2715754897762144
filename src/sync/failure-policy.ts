/**
 * What the daemon does after a failed cycle (DESIGN.md §7): a pure function from the error to the
 * daemon's next phase, what it says it waits for, and how long it waits. It never decides to stop:
 * the daemon keeps running through receiver, clock and Share trouble and catches up afterwards.
 *
 *   receiver / link / page trouble   → reconnect the receiver, look again in 1 s
 *   no synchronised clock            → ask the host again, in 30 s
 *   Share refused credentials/locked → 0: the login breaker explains and paces (daemon.ts)
 *   Share: receiver assigned elsewhere → the operator must act; look again in 15 min
 *   Share otherwise (outage, session) → back off 30 s doubling to 10 min, with jitter, or as long as
 *                                      the server's Retry-After asks (at most an hour)
 *   state file not writable          → the operator must act; look again in one reading interval
 *   anything else (a bug)            → log it, look again in a minute
 */
import {
  type ErrorCode,
  isClockFailure,
  isReceiverFailure,
  isSharebridgeError,
  isShareFailure,
  isStateFailure,
} from "../errors.js";
import type { DaemonPhase } from "./daemon-status.js";
import { backoffMs } from "./schedule.js";

const MINUTE = 60_000;
export const SHARE_BACKOFF = { minMs: 30_000, maxMs: 10 * MINUTE } as const;
export const CLOCK_RETRY_MS = 30_000;
export const ASSIGNMENT_RETRY_MS = 15 * MINUTE;
export const RECEIVER_RETRY_MS = 1000;
export const UNEXPECTED_RETRY_MS = MINUTE;
/** The longest Retry-After honoured (share-api §18.11). */
export const MAX_RETRY_AFTER_MS = 60 * MINUTE;

/** A cycle's outcome as counted in metrics and kept in the state file (besides posted, nothing-new). */
export type FailureOutcome = "receiver-error" | "waiting-for-clock" | "share-error" | "state-error" | "error";

export interface FailureContext {
  /** Share failures in a row before this one (for the back-off). */
  readonly shareFailures: number;
  readonly readingIntervalSeconds: number;
  /** A number in [0, 1) for the jitter. */
  readonly jitter: number;
}

export interface FailureDecision {
  readonly outcome: FailureOutcome;
  readonly phase: DaemonPhase;
  /** What the daemon waits for, in words (logged once per change, shown by status and /healthz). */
  readonly waitingFor: string | undefined;
  /**
   * False when the next turn of the loop explains the wait itself (a refused login: the breaker's
   * state names the reason and the time), so this decision must not announce anything.
   */
  readonly announce: boolean;
  readonly waitMs: number;
  /** Close the receiver's port and open it again (auto: find it again). */
  readonly reconnect: boolean;
  /** Ask the host again whether its clock is synchronised. */
  readonly recheckClock: boolean;
  /** Share failures in a row after this one. */
  readonly shareFailures: number;
  /** The error's code when it is a Share error (counted by code in metrics). */
  readonly shareCode: ErrorCode | undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function decideOnFailure(error: unknown, context: FailureContext): FailureDecision {
  const code: ErrorCode = isSharebridgeError(error) ? error.code : "INTERNAL";
  const what = describe(error);
  const base = { announce: true, reconnect: false, recheckClock: false, shareCode: undefined };
  if (isReceiverFailure(error)) {
    return {
      ...base,
      outcome: "receiver-error",
      phase: "waiting-for-receiver",
      waitingFor: `the receiver to answer (${what})`,
      waitMs: RECEIVER_RETRY_MS,
      reconnect: true,
      shareFailures: context.shareFailures,
    };
  }
  if (isClockFailure(error)) {
    return {
      ...base,
      outcome: "waiting-for-clock",
      phase: "waiting-for-clock",
      waitingFor: "a synchronised clock (host NTP, or Share's server time)",
      waitMs: CLOCK_RETRY_MS,
      recheckClock: true,
      shareFailures: context.shareFailures,
    };
  }
  if (isShareFailure(error)) {
    const share = { ...base, outcome: "share-error" as const, shareCode: code };
    if (code === "SHARE_CREDENTIALS" || code === "SHARE_LOCKED_OUT") {
      // The login breaker holds the reason; the daemon's next turn says what it waits for.
      return {
        ...share,
        announce: false,
        phase: "waiting-for-operator",
        waitingFor: undefined,
        waitMs: 0,
        shareFailures: context.shareFailures,
      };
    }
    if (code === "SHARE_ASSIGNMENT") {
      return {
        ...share,
        phase: "waiting-for-operator",
        waitingFor: `the Share account's receiver assignment (${what})`,
        waitMs: ASSIGNMENT_RETRY_MS,
        shareFailures: context.shareFailures,
      };
    }
    // A server that said how long to wait (Retry-After on 429/503, share-api §18.11) is waited out,
    // up to an hour, and never less than the back-off.
    const retryAfterMs = error.context.retryAfterMs;
    const asked =
      typeof retryAfterMs === "number" && retryAfterMs > 0 ? Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) : 0;
    const waitMs = Math.max(
      asked,
      backoffMs(context.shareFailures, SHARE_BACKOFF.minMs, SHARE_BACKOFF.maxMs, () => context.jitter),
    );
    return {
      ...share,
      phase: "waiting-for-share",
      waitingFor: `Share to answer (${what}); retrying in ${Math.round(waitMs / 1000)} s`,
      waitMs,
      shareFailures: context.shareFailures + 1,
    };
  }
  if (isStateFailure(error)) {
    return {
      ...base,
      outcome: "state-error",
      phase: "waiting-for-operator",
      waitingFor: `space or permission to save state (${what})`,
      waitMs: context.readingIntervalSeconds * 1000,
      shareFailures: context.shareFailures,
    };
  }
  return {
    ...base,
    outcome: "error",
    phase: "idle",
    waitingFor: undefined,
    waitMs: UNEXPECTED_RETRY_MS,
    shareFailures: context.shareFailures,
  };
}
