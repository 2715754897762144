/**
 * Failed logins against the strict emulator (share-api §3.4, §18.8), an hour of attempts on an
 * injected clock: HTTP 401/403 refuse the credentials after one request; a login answered with
 * something that is no id is retried no more often than every 5 minutes; a login that failed is
 * not tried again within the same cycle, not even by posting after the first-run read-back; every
 * breaker change reaches the breaker store before the login settles.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import { isSharebridgeError } from "../../src/errors.js";
import type { ShareClient } from "../../src/share/client.js";
import type { LoginBreakerState } from "../../src/share/login-breaker.js";
import { APPLICATION_ID_JAPAN } from "../../src/share/regions.js";
import { shiftOnShare } from "../../src/sync/offset-recovery.js";
import { failure } from "./support/failure.js";
import {
  clientFor,
  emulatorWithWearer,
  OP,
  PASSWORD,
  readings,
  SERIAL,
  USER,
} from "./support/share-fixtures.js";

const T = Date.UTC(2026, 10, 5, 22, 0, 0);
const MINUTE = 60_000;

describe("failed logins", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  let now = T;
  let saved: LoginBreakerState[];
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
    now = T;
  });

  const connect = async (loginAnswer: "http-401" | "http-403" | "garbage" | "normal") => {
    emulator = await emulatorWithWearer({ now: () => now, knobs: { faults: { loginAnswer } } });
    saved = [];
    client = clientFor(
      emulator,
      {},
      {
        clock: { now: () => now },
        breakerStore: {
          save: async (state) => {
            // What is saved is what a restart would resume: the breaker as it stands.
            expect(client.loginState).toEqual(state);
            saved.push(state);
          },
        },
      },
    );
  };

  /** A login attempt every minute for an hour; the codes seen. */
  const anHourOfAttempts = async () => {
    const codes = new Set<string>();
    for (let minute = 0; minute < 60; minute++) {
      await client.login().catch((error: unknown) => {
        if (!isSharebridgeError(error)) throw error;
        codes.add(error.code);
      });
      now += MINUTE;
    }
    return codes;
  };

  it.each([
    ["http-401", 401],
    ["http-403", 403],
  ] as const)("%s on the login: refused credentials, 1 request in an hour", async (mode, status) => {
    await connect(mode);
    const first = await failure(client.login());
    expect(first.code).toBe("SHARE_CREDENTIALS");
    expect(first.message).toBe(
      `Share answered HTTP ${status} to ${OP.authenticate}: treated as refused credentials [SHARE_CREDENTIALS]`,
    );
    expect(client.loginState).toEqual({
      state: "credentials-rejected",
      sinceMs: T,
      reason: `http-${status}`,
    });
    expect(await anHourOfAttempts()).toEqual(new Set(["SHARE_CREDENTIALS"]));
    expect(emulator.count()).toBe(1);
    expect(saved).toEqual([{ state: "credentials-rejected", sinceMs: T, reason: `http-${status}` }]);
  });

  it("a login answered with garbage: SHARE_PROTOCOL, then one attempt per 5 minutes (12 in an hour)", async () => {
    await connect("garbage");
    const codes = await anHourOfAttempts();
    expect(codes).toEqual(new Set(["SHARE_PROTOCOL", "SHARE_UNAVAILABLE"]));
    expect(emulator.requests.map((r) => (r.atMs - T) / MINUTE)).toEqual([
      0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55,
    ]);
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 12 });
    expect(saved).toHaveLength(12);
    expect(saved[0]).toEqual({
      state: "closed",
      sinceMs: T,
      notBeforeMs: T + 5 * MINUTE,
      reason: "not-a-uuid",
    });
    // The service recovers: the next attempt logs in and clears the wait.
    emulator.setKnobs({ faults: { loginAnswer: "normal" } });
    now += 5 * MINUTE;
    await client.login();
    expect(client.loginState).toEqual({ state: "closed" });
    expect(saved.at(-1)).toEqual({ state: "closed" });
  });

  it("the first-run read-back fails its login: nothing to adopt, and posting in the same cycle sends no second login", async () => {
    await connect("garbage");
    const toPost = readings(6, T / 1000);
    expect(await shiftOnShare(client, toPost, 24)).toBeUndefined();
    const posting = await failure(client.postEgvs(SERIAL, toPost));
    expect(posting.code).toBe("SHARE_UNAVAILABLE");
    expect(posting.context).toMatchObject({
      breaker: "not-before",
      reason: "not-a-uuid",
      retryAfterMs: 5 * MINUTE,
    });
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 1 });
  });

  it("a login that found Share down is not retried in the same cycle; 30 s later it is", async () => {
    await connect("normal");
    emulator.setOutage(true);
    expect((await failure(client.login())).code).toBe("SHARE_UNAVAILABLE");
    expect((await failure(client.readLatestGlucose({ minutes: 60, maxCount: 1 }))).context).toMatchObject({
      breaker: "not-before",
      reason: "http-503",
    });
    expect(emulator.count()).toBe(1);
    emulator.setOutage(false);
    now += 30_000;
    await client.login();
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 2, [OP.loginById]: 1 });
    expect(saved.map((s) => s.state)).toEqual(["closed", "closed"]);
    expect(saved[0]).toMatchObject({ notBeforeMs: T + 30_000, reason: "http-503" });
  });

  it("share.applicationId overrides the region's id on the wire (share-api §18.9)", async () => {
    emulator = await emulatorWithWearer({
      now: () => now,
      accounts: [{ name: USER, password: PASSWORD, region: "jp" }],
      listen: { us: {}, jp: {} },
      knobs: { strictApplicationId: true },
    });
    // A custom server URL gets the default id, which the strict Japanese listener refuses.
    client = clientFor(emulator, { server: emulator.url("jp") }, { clock: { now: () => now } });
    expect((await failure(client.login())).context).toMatchObject({ shareCode: "InvalidArgument" });
    await client.close();
    client = clientFor(
      emulator,
      { server: emulator.url("jp"), applicationId: APPLICATION_ID_JAPAN },
      { clock: { now: () => now } },
    );
    await client.login();
    expect(emulator.requests.at(-1)).toMatchObject({ operation: OP.loginById, status: 200 });
  });
});
