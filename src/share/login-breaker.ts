/**
 * The login breaker: the client's memory of why it must not log in (share-api §3.4, §14.1 items
 * 2 and 6; DESIGN §6).
 *
 * Wrong password, unknown account and wrong region all answer HTTP 500 with a credential code, and
 * every repeated attempt counts toward a lockout that then blocks even the right password. So:
 * - after a credential failure no login request is ever sent again by this client until
 *   `reset()` (the operator changed the configuration or ran `share login`);
 * - after a lockout answer no login request is sent for `lockoutMs` (at least 30 min), then one
 *   attempt is allowed again;
 * - after a login that failed without a refusal (no answer, a 5xx, the deadline, an HTTP 200 that
 *   is neither a UUID nor the null UUID) the breaker stays closed but sets a not-before time: a
 *   failed login is never repeated within the same sync cycle (30 s, the daemon's shortest back-off),
 *   and a nonsensical answer not more often than every 5 minutes (share-api §18.8).
 * The state is plain data so that `status` can show it and the state store can keep it across
 * restarts (`parseLoginBreakerState` reads it back); it never holds a secret.
 */
import type { Clock } from "../clock.js";
import { SharebridgeError } from "../errors.js";

export type LoginBreakerState =
  | {
      readonly state: "closed";
      /** A login failed (not refused) at `sinceMs`; none is attempted before this. Absent: no wait. */
      readonly notBeforeMs?: number;
      readonly sinceMs?: number;
      /** Why it failed: `not-a-uuid`, `http-503`, `deadline`, a socket error code, … */
      readonly reason?: string;
    }
  | {
      readonly state: "credentials-rejected";
      readonly sinceMs: number;
      /** The Share code, or `null-uuid` / `not-a-uuid` when a login answered HTTP 200 without an id. */
      readonly reason: string;
    }
  | {
      readonly state: "locked-out";
      readonly sinceMs: number;
      readonly untilMs: number;
      readonly reason: string;
    };

export type { Clock } from "../clock.js";
export { systemClock } from "../clock.js";

/** After a failed login (no answer, 5xx, deadline): none within the same cycle. The daemon's shortest back-off. */
export const LOGIN_RETRY_GAP_MS = 30_000;
/** After a login answered with something that is no id: not more often than this (share-api §18.8). */
export const LOGIN_PROTOCOL_GAP_MS = 5 * 60_000;

/**
 * Where the breaker is kept between runs (the daemon's state file; `share login` uses the same
 * one): the client calls `save` after every change and waits for it before the login settles, so a
 * refusal is on disk before anyone could retry.
 */
export interface LoginBreakerStore {
  save(state: LoginBreakerState): Promise<void>;
}

export class LoginBreaker {
  #state: LoginBreakerState;
  readonly #clock: Clock;
  readonly #lockoutMs: number;

  constructor(clock: Clock, lockoutMs: number, initial: LoginBreakerState = { state: "closed" }) {
    this.#clock = clock;
    this.#lockoutMs = lockoutMs;
    this.#state = initial;
  }

  /** The current state; a lockout or a not-before time that has passed reads as plainly closed. */
  get state(): LoginBreakerState {
    const now = this.#clock.now();
    const s = this.#state;
    if (s.state === "locked-out" && now >= s.untilMs) this.#state = { state: "closed" };
    if (s.state === "closed" && s.notBeforeMs !== undefined && now >= s.notBeforeMs) {
      this.#state = { state: "closed" };
    }
    return this.#state;
  }

  /** Throws, without any request, when a login must not be attempted now. */
  assertMayLogin(): void {
    const state = this.state;
    if (state.state === "credentials-rejected") {
      throw new SharebridgeError(
        "SHARE_CREDENTIALS",
        "Share refused the credentials earlier; no login is attempted until the configuration changes or `sharebridge share login` succeeds",
        { breaker: state.state, reason: state.reason, sinceMs: state.sinceMs },
      );
    }
    if (state.state === "locked-out") {
      throw new SharebridgeError(
        "SHARE_LOCKED_OUT",
        `Share locked the account after too many failed logins; no login before ${new Date(state.untilMs).toISOString()}`,
        { breaker: state.state, reason: state.reason, untilMs: state.untilMs },
      );
    }
    if (state.notBeforeMs !== undefined) {
      const retryAfterMs = state.notBeforeMs - this.#clock.now();
      throw new SharebridgeError(
        "SHARE_UNAVAILABLE",
        `a Share login failed ${Math.round((this.#clock.now() - (state.sinceMs ?? 0)) / 1000)} s ago (${state.reason ?? "unknown"}); no login before ${new Date(state.notBeforeMs).toISOString()}`,
        { breaker: "not-before", reason: state.reason, notBeforeMs: state.notBeforeMs, retryAfterMs },
      );
    }
  }

  /** A login failed without a refusal: none before `gapMs` from now. */
  recordFailure(reason: string, gapMs: number): void {
    const now = this.#clock.now();
    this.#state = { state: "closed", notBeforeMs: now + gapMs, sinceMs: now, reason };
  }

  recordCredentialFailure(reason: string): void {
    this.#state = { state: "credentials-rejected", sinceMs: this.#clock.now(), reason };
  }

  recordLockout(reason: string): void {
    const now = this.#clock.now();
    this.#state = { state: "locked-out", sinceMs: now, untilMs: now + this.#lockoutMs, reason };
  }

  recordSuccess(): void {
    this.#state = { state: "closed" };
  }

  /**
   * Allows logins again after a credential failure or a failed login (the operator acted). A
   * lockout is not lifted: the server would answer the lockout code anyway and each attempt could
   * extend it.
   */
  reset(): void {
    if (this.#state.state !== "locked-out") this.#state = { state: "closed" };
  }

  /** The operator insists (`share login --force`): the next login is attempted whatever the state. */
  override(): void {
    this.#state = { state: "closed" };
  }
}

const MAX_REASON_LENGTH = 200;

/**
 * A breaker state read back from a state file, validated field by field; undefined when it is not
 * one. Extra fields (the state store's fingerprint) are ignored.
 */
export function parseLoginBreakerState(value: unknown): LoginBreakerState | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const num = (key: string) => (typeof v[key] === "number" && Number.isFinite(v[key]) ? v[key] : undefined);
  const reason = typeof v["reason"] === "string" ? v["reason"].slice(0, MAX_REASON_LENGTH) : undefined;
  const sinceMs = num("sinceMs");
  switch (v["state"]) {
    case "closed": {
      const notBeforeMs = num("notBeforeMs");
      return notBeforeMs === undefined || sinceMs === undefined
        ? { state: "closed" }
        : { state: "closed", notBeforeMs, sinceMs, reason: reason ?? "unknown" };
    }
    case "credentials-rejected":
      return sinceMs === undefined
        ? undefined
        : { state: "credentials-rejected", sinceMs, reason: reason ?? "unknown" };
    case "locked-out": {
      const untilMs = num("untilMs");
      return sinceMs === undefined || untilMs === undefined
        ? undefined
        : { state: "locked-out", sinceMs, untilMs, reason: reason ?? "unknown" };
    }
    default:
      return undefined;
  }
}
