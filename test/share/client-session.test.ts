/**
 * Session recovery (share-api §3.3, §14.1 item 5): a session answer costs one re-login by account id
 * and one repeat of the call; a second session answer for the same call is final.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { failure } from "./support/failure.js";
import { clientFor, emulatorWithWearer, OP, readings, SERIAL, USER } from "./support/share-fixtures.js";

const HOUR = 3_600_000;

describe("session recovery", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("a session expiring in the middle of a 3-batch post: one re-login, one repeat, nothing lost", async () => {
    let now = Date.UTC(2026, 2, 1, 8);
    emulator = await emulatorWithWearer({ now: () => now });
    client = clientFor(emulator);
    const end = Math.floor(now / 1000);
    let batches = 0;
    await client.postEgvs(SERIAL, readings(120, end), {
      onBatch: () => {
        batches++;
        // The server's 24 h session lifetime runs out right after the first batch.
        if (batches === 1) now += 24 * HOUR;
      },
    });
    expect(batches).toBe(3);
    expect(emulator.countsByOperation()).toEqual({
      [OP.authenticate]: 1,
      [OP.loginById]: 2,
      [OP.check]: 1,
      [OP.start]: 2,
      [OP.replace]: 1,
      [OP.post]: 4,
    });
    expect(emulator.requests.filter((r) => r.operation === OP.post).map((r) => r.code ?? r.status)).toEqual([
      200,
      "SessionNotValid",
      200,
      200,
    ]);
    expect(emulator.account(USER).egvs).toHaveLength(120);
  });

  it("an unknown session (server restarted) costs one re-login and one repeat", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = Math.floor(Date.now() / 1000);
    await client.postEgvs(SERIAL, readings(1, end - 300));
    emulator.clearRequests();
    emulator.dropSessions();
    await client.postEgvs(SERIAL, readings(1, end));
    expect(emulator.countsByOperation()).toEqual({ [OP.loginById]: 1, [OP.post]: 2 });
    expect(emulator.requests.map((r) => r.code ?? r.status)).toEqual(["SessionIdNotFound", 200, 200]);
  });

  it("a session refused again right after a fresh login is final: SHARE_SESSION", async () => {
    emulator = await emulatorWithWearer({ knobs: { faults: { sessionNotValidRate: 1 } } });
    client = clientFor(emulator);
    const error = await failure(client.postEgvs(SERIAL, readings(1, Math.floor(Date.now() / 1000))));
    expect(error.code).toBe("SHARE_SESSION");
    expect(error.context).toMatchObject({
      operation: OP.check,
      shareCode: "SessionNotValid",
      fault: "session",
    });
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 1, [OP.loginById]: 2, [OP.check]: 2 });
    // The session trouble does not touch the login breaker: the next cycle may try again.
    expect(client.loginState).toEqual({ state: "closed" });
  });

  it("reads recover the same way", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    await client.login();
    emulator.clearRequests();
    emulator.dropSessions();
    const { readings: got } = await client.readLatestGlucose({ minutes: 60, maxCount: 12 });
    expect(got).toEqual([]);
    expect(emulator.countsByOperation()).toEqual({ [OP.loginById]: 1, [OP.read]: 2 });
  });
});
