/** The login breaker as a state machine on an injected clock. */
import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { LoginBreaker } from "../../src/share/login-breaker.js";

const MINUTE = 60_000;

function refusal(breaker: LoginBreaker): string | undefined {
  try {
    breaker.assertMayLogin();
    return undefined;
  } catch (error) {
    return isSharebridgeError(error) ? error.code : "other";
  }
}

describe("LoginBreaker", () => {
  it("credentials: closed only by reset", () => {
    let now = 1_000;
    const breaker = new LoginBreaker({ now: () => now }, 30 * MINUTE);
    expect(refusal(breaker)).toBeUndefined();
    breaker.recordCredentialFailure("AccountPasswordInvalid");
    now += 365 * 24 * 60 * MINUTE;
    expect(refusal(breaker)).toBe("SHARE_CREDENTIALS");
    expect(breaker.state).toEqual({
      state: "credentials-rejected",
      sinceMs: 1_000,
      reason: "AccountPasswordInvalid",
    });
    breaker.reset();
    expect(refusal(breaker)).toBeUndefined();
  });

  it("lockout: opens for exactly lockoutMs, reset does not lift it", () => {
    let now = 0;
    const breaker = new LoginBreaker({ now: () => now }, 30 * MINUTE);
    breaker.recordLockout("SSO_AuthenticateMaxAttemptsExceeed");
    breaker.reset();
    now = 30 * MINUTE - 1;
    expect(refusal(breaker)).toBe("SHARE_LOCKED_OUT");
    now = 30 * MINUTE;
    expect(refusal(breaker)).toBeUndefined();
    expect(breaker.state).toEqual({ state: "closed" });
  });

  it("success closes it", () => {
    const breaker = new LoginBreaker({ now: () => 0 }, 30 * MINUTE);
    breaker.recordLockout("x");
    breaker.recordSuccess();
    expect(breaker.state).toEqual({ state: "closed" });
  });
});
