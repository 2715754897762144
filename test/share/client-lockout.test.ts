/**
 * Lockout (share-api §3.4, §14.1 item 6): after the lockout code, in either spelling, no login for at
 * least 30 minutes of the injected clock; then exactly one attempt.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import { isSharebridgeError } from "../../src/errors.js";
import type { ShareClient } from "../../src/share/client.js";
import { clientFor, emulatorWithWearer, OP, USER } from "./support/share-fixtures.js";

const MINUTE = 60_000;

async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isSharebridgeError(error)) return error.code;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("lockout", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it.each(["Exceeed", "Exceeded"] as const)(
    "the %s spelling pauses logins for 30 minutes",
    async (spelling) => {
      let now = Date.UTC(2026, 0, 1, 12);
      const clock = { now: () => now };
      emulator = await emulatorWithWearer({ now: clock.now, knobs: { lockout: { codeSpelling: spelling } } });
      emulator.lockAccount(USER, 15 * MINUTE); // locked by earlier failures elsewhere
      client = clientFor(emulator, {}, { clock });

      expect(await failureCode(client.login())).toBe("SHARE_LOCKED_OUT");
      expect(client.loginState).toEqual({
        state: "locked-out",
        sinceMs: now,
        untilMs: now + 30 * MINUTE,
        reason: `SSO_AuthenticateMaxAttempts${spelling}`,
      });
      expect(emulator.count()).toBe(1);

      // Every minute for 29 minutes: refused without a request. resetCredentials does not lift it.
      client.resetCredentials();
      for (let minute = 1; minute < 30; minute++) {
        now += MINUTE;
        expect(await failureCode(client.login())).toBe("SHARE_LOCKED_OUT");
      }
      expect(emulator.count()).toBe(1);

      now += MINUTE; // 30 minutes after the lockout answer
      expect(client.loginState).toEqual({ state: "closed" });
      await client.login();
      expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 2, [OP.loginById]: 1 });
    },
  );

  it("a lockout that outlasts the pause: one attempt per 30 minutes", async () => {
    let now = Date.UTC(2026, 0, 1, 12);
    const clock = { now: () => now };
    emulator = await emulatorWithWearer({ now: clock.now });
    emulator.lockAccount(USER, 2 * 60 * MINUTE);
    client = clientFor(emulator, {}, { clock });
    for (let minute = 0; minute < 120; minute++) {
      expect(await failureCode(client.login())).toBe("SHARE_LOCKED_OUT");
      now += MINUTE;
    }
    // Attempts at 0, 30, 60 and 90 minutes.
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 4 });
    await client.login();
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 5, [OP.loginById]: 1 });
  });

  it("lockout settings below 30 minutes are refused", async () => {
    emulator = await emulatorWithWearer();
    expect(() => clientFor(emulator, { lockoutMs: 29 * MINUTE })).toThrow(/share.lockoutMs/);
  });
});
