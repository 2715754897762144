/**
 * Credential failures stop logins for good (share-api §3.4, §14.1 item 2): exactly one login request,
 * then none, however long the client keeps being asked to post.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import { isSharebridgeError } from "../../src/errors.js";
import type { ShareClient } from "../../src/share/client.js";
import {
  clientFor,
  emulatorWithWearer,
  nowSeconds,
  OP,
  PASSWORD,
  readings,
  SERIAL,
  USER,
} from "./support/share-fixtures.js";

async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isSharebridgeError(error)) return error.code;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("credential failures", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("a wrong password costs exactly one login request, then none for two days of posting", async () => {
    emulator = await emulatorWithWearer();
    let now = Date.UTC(2026, 0, 1);
    client = clientFor(emulator, { password: "wrong-password" }, { clock: { now: () => now } });

    expect(await failureCode(client.postEgvs(SERIAL, readings(3, nowSeconds())))).toBe("SHARE_CREDENTIALS");
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 1 });
    expect(client.loginState).toEqual({
      state: "credentials-rejected",
      sinceMs: now,
      reason: "AccountPasswordInvalid",
    });

    // A daemon posting every 5 minutes for 48 hours.
    for (let cycle = 0; cycle < 576; cycle++) {
      now += 300_000;
      expect(await failureCode(client.postEgvs(SERIAL, readings(1, nowSeconds())))).toBe("SHARE_CREDENTIALS");
    }
    expect(await failureCode(client.readLatestGlucose({ minutes: 60, maxCount: 12 }))).toBe(
      "SHARE_CREDENTIALS",
    );
    expect(await failureCode(client.listFollowers())).toBe("SHARE_CREDENTIALS");
    expect(await failureCode(client.login())).toBe("SHARE_CREDENTIALS");
    expect(emulator.count()).toBe(1);
    // The emulator counted one failure, far from its lockout threshold of 5.
    expect(emulator.account(USER).failedLogins).toBe(1);
  });

  it("resetCredentials allows exactly one new attempt", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator, { password: "wrong-password" });
    expect(await failureCode(client.login())).toBe("SHARE_CREDENTIALS");
    client.resetCredentials();
    expect(client.loginState).toEqual({ state: "closed" });
    expect(await failureCode(client.login())).toBe("SHARE_CREDENTIALS");
    expect(await failureCode(client.login())).toBe("SHARE_CREDENTIALS");
    expect(emulator.count(OP.authenticate)).toBe(2);
    expect(emulator.count()).toBe(2);
  });

  it("an account of another region answers like a wrong password: one request", async () => {
    emulator = await emulatorWithWearer({ accounts: [{ name: USER, password: PASSWORD, region: "ous" }] });
    client = clientFor(emulator); // the us listener
    expect(await failureCode(client.postEgvs(SERIAL, readings(1, nowSeconds())))).toBe("SHARE_CREDENTIALS");
    expect(await failureCode(client.postEgvs(SERIAL, readings(1, nowSeconds())))).toBe("SHARE_CREDENTIALS");
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 1 });
  });

  it.each([
    ["an unknown account (SSO style)", "someone-else", PASSWORD, "SSO_AuthenticateAccountNotFound"],
    ["a wrong password (SSO style)", USER, "nope", "SSO_AuthenticatePasswordInvalid"],
  ])("%s is a credential failure after one request", async (_title, username, password, code) => {
    emulator = await emulatorWithWearer({ knobs: { credentialFaultStyle: "sso" } });
    client = clientFor(emulator, { username, password });
    expect(await failureCode(client.login())).toBe("SHARE_CREDENTIALS");
    expect(await failureCode(client.login())).toBe("SHARE_CREDENTIALS");
    expect(client.loginState).toMatchObject({ state: "credentials-rejected", reason: code });
    expect(emulator.count()).toBe(1);
  });

  it("a password changed on the portal: the re-login by id fails once, then no login at all", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = nowSeconds();
    await client.postEgvs(SERIAL, readings(2, end - 300));
    emulator.account(USER).password = "changed-elsewhere";
    emulator.dropSessions();

    expect(await failureCode(client.postEgvs(SERIAL, readings(1, end)))).toBe("SHARE_CREDENTIALS");
    expect(await failureCode(client.postEgvs(SERIAL, readings(1, end)))).toBe("SHARE_CREDENTIALS");
    expect(emulator.countsByOperation()).toEqual({
      [OP.authenticate]: 1,
      [OP.loginById]: 2,
      [OP.check]: 1,
      [OP.start]: 2,
      [OP.replace]: 1,
      [OP.post]: 2, // the first post, and the one answered SessionIdNotFound after the drop
    });
  });
});
