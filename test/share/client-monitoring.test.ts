/**
 * The remote monitoring session (share-api §4, §14.1 items 3 and 5): started before the first post,
 * restarted once when a post says it is gone, final when it is gone again at once.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { failure } from "./support/failure.js";
import { clientFor, emulatorWithWearer, OP, readings, SERIAL, USER } from "./support/share-fixtures.js";

describe("monitoring session", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("lost between posts: one Start, one repeat of the post", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = Math.floor(Date.now() / 1000);
    await client.postEgvs(SERIAL, readings(2, end - 300));
    emulator.account(USER).monitoring.active = false; // e.g. stopped from the official app
    emulator.clearRequests();

    const result = await client.postEgvs(SERIAL, readings(1, end, 150));
    expect(result.batches.map((b) => b.outcome)).toEqual(["stored"]);
    expect(emulator.requests.map((r) => [r.operation, r.code ?? r.status])).toEqual([
      [OP.post, "MonitoringSessionNotActive"],
      [OP.start, 200],
      [OP.post, 200],
    ]);
    expect(emulator.account(USER).egvs.map((e) => e.value)).toEqual([100, 101, 150]);
  });

  it("gone again right after Start: SHARE_MONITORING_SESSION after two posts and two Starts", async () => {
    emulator = await emulatorWithWearer({ knobs: { monitoringTtlMs: 0 } });
    emulator.state.assign(emulator.account(USER), SERIAL);
    client = clientFor(emulator);
    const error = await failure(client.postEgvs(SERIAL, readings(1, Math.floor(Date.now() / 1000))));
    expect(error.code).toBe("SHARE_MONITORING_SESSION");
    expect(emulator.countsByOperation()).toEqual({
      [OP.authenticate]: 1,
      [OP.loginById]: 1,
      [OP.check]: 1,
      [OP.start]: 2,
      [OP.post]: 2,
    });
  });

  it("an already active session is fine: one Start answered MonitoringSessionAlreadyActive", async () => {
    emulator = await emulatorWithWearer();
    const account = emulator.account(USER);
    emulator.state.assign(account, SERIAL);
    account.monitoring = { active: true, startedMs: Date.now() };
    client = clientFor(emulator);
    await client.postEgvs(SERIAL, readings(1, Math.floor(Date.now() / 1000)));
    expect(emulator.requests.map((r) => [r.operation, r.code ?? r.status])).toEqual([
      [OP.authenticate, 200],
      [OP.loginById, 200],
      [OP.check, 200],
      [OP.start, "MonitoringSessionAlreadyActive"],
      [OP.post, 200],
    ]);
  });

  it("isMonitoringActive and stopMonitoring", async () => {
    emulator = await emulatorWithWearer();
    emulator.state.assign(emulator.account(USER), SERIAL);
    client = clientFor(emulator);
    expect(await client.isMonitoringActive()).toBe(false);
    await client.startMonitoring(SERIAL);
    expect(await client.isMonitoringActive()).toBe(true);
    await client.stopMonitoring();
    expect(await client.isMonitoringActive()).toBe(false);
  });
});
