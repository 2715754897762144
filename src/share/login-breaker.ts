/**
 * The login breaker: the client's memory of why it must not log in (share-api §3.4, §14.1 items
 * 2 and 6; DESIGN §6).
 *
 * Wrong password, unknown account and wrong region all answer HTTP 500 with a credential code, and
 * every repeated attempt counts toward a lockout that then blocks even the right password. So:
 * - after a credential failure no login request is ever sent again by this client until
 *   `reset()` (the operator changed the configuration or ran `share login`);
 * - after a lockout answer no login request is sent for `lockoutMs` (at least 30 min), then one
 *   attempt is allowed again.
 * The state is plain data so that `status` can show it and the state store can keep it across
 * restarts; it never holds a secret.
 */
import type { Clock } from "../clock.js";
import { SharebridgeError } from "../errors.js";

export type LoginBreakerState =
  | { readonly state: "closed" }
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

export class LoginBreaker {
  #state: LoginBreakerState;
  readonly #clock: Clock;
  readonly #lockoutMs: number;

  constructor(clock: Clock, lockoutMs: number, initial: LoginBreakerState = { state: "closed" }) {
    this.#clock = clock;
    this.#lockoutMs = lockoutMs;
    this.#state = initial;
  }

  /** The current state; a lockout whose time has passed reads as closed. */
  get state(): LoginBreakerState {
    if (this.#state.state === "locked-out" && this.#clock.now() >= this.#state.untilMs) {
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
   * Allows logins again after a credential failure. A lockout is not lifted: the server would
   * answer the lockout code anyway and each attempt could extend it.
   */
  reset(): void {
    if (this.#state.state === "credentials-rejected") this.#state = { state: "closed" };
  }
}
