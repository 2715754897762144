/**
 * The emulator's server-side rules (share-api §4, §6, §7, §14.2): lockout, assignment, monitoring,
 * post validation, WT arithmetic, duplicates and future readings, read formats.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  type ShareEmulator,
  type ShareEmulatorKnobsInput,
  startShareEmulator,
} from "../../../src/emulator/share/index.js";
import { APP_ID, login, raw } from "./raw-http.js";

const T = Date.UTC(2025, 3, 19, 16, 43, 33, 817);
const MINUTE = 60_000;

describe("Share emulator rules", () => {
  let emulator: ShareEmulator;
  let now = T;
  afterEach(async () => {
    await emulator?.close();
    now = T;
  });

  async function setUp(knobs: ShareEmulatorKnobsInput = {}) {
    emulator = await startShareEmulator({
      accounts: [
        { name: "wearer", password: "pw" },
        { name: "neighbour", password: "pw2" },
      ],
      knobs,
      now: () => now,
    });
    const { sessionId } = await login(emulator, "wearer", "pw");
    const call = (operation: string, query = "", body?: unknown) =>
      raw(emulator, operation, { query: `sessionId=${sessionId}${query === "" ? "" : `&${query}`}`, body });
    return { sessionId, call };
  }

  const codeOf = (answer: { status: number; text: string }) =>
    answer.status === 500 ? (JSON.parse(answer.text) as { Code: string }).Code : answer.status;

  it("locks after 5 consecutive failures, refuses even the right password, unlocks after 15 minutes", async () => {
    await setUp();
    const auth = (password: string) =>
      raw(emulator, "General/AuthenticatePublisherAccount", {
        body: { accountName: "wearer", password, applicationId: APP_ID },
      });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(codeOf(await auth("bad")));
    answers.push(codeOf(await auth("pw")));
    expect(answers).toEqual([
      ...Array(5).fill("AccountPasswordInvalid"),
      "SSO_AuthenticateMaxAttemptsExceeed",
    ]);
    // LoginPublisherAccountById is locked too.
    const byId = await raw(emulator, "General/LoginPublisherAccountById", {
      body: { accountId: emulator.account("wearer").accountId, password: "pw", applicationId: APP_ID },
    });
    expect(codeOf(byId)).toBe("SSO_AuthenticateMaxAttemptsExceeed");
    now += 15 * MINUTE - 1;
    expect(codeOf(await auth("pw"))).toBe("SSO_AuthenticateMaxAttemptsExceeed");
    now += 1;
    expect(codeOf(await auth("pw"))).toBe(200);
  });

  it("a success resets the failure count; the spelling and threshold are knobs", async () => {
    await setUp({ lockout: { attempts: 2, codeSpelling: "Exceeded", ms: MINUTE } });
    const auth = (password: string) =>
      raw(emulator, "General/AuthenticatePublisherAccount", {
        body: { accountName: "wearer", password, applicationId: APP_ID },
      });
    const answers = [
      await auth("bad"),
      await auth("pw"),
      await auth("bad"),
      await auth("bad"),
      await auth("pw"),
    ];
    expect(answers.map(codeOf)).toEqual([
      "AccountPasswordInvalid",
      200,
      "AccountPasswordInvalid",
      "AccountPasswordInvalid",
      "SSO_AuthenticateMaxAttemptsExceeded",
    ]);
  });

  it("assignment: Check, Replace, another account's serial, the same serial", async () => {
    const { call } = await setUp();
    const other = await login(emulator, "neighbour", "pw2");
    const check = async (serial: string) =>
      (await call("Publisher/CheckMonitoredReceiverAssignmentStatus", `serialNumber=${serial}`)).json();
    const replace = (serial: string) =>
      call("Publisher/ReplacePublisherAccountMonitoredReceiver", `serialNumber=${serial}`);

    expect(await check("SM1")).toBe("NotAssigned");
    const replaced = await replace("SM1");
    expect([replaced.status, replaced.json()]).toEqual([200, emulator.account("wearer").accountId]);
    expect(await check("SM1")).toBe("AssignedToYou");
    expect(codeOf(await replace("SM1"))).toBe("SerialNumberAssignedToYou");

    await raw(emulator, "Publisher/ReplacePublisherAccountMonitoredReceiver", {
      query: `sessionId=${other.sessionId}&serialNumber=SM2`,
    });
    expect(await check("SM2")).toBe("AssignedToSomeoneElse");
    expect(codeOf(await replace("SM2"))).toBe("SerialNumberAssignedToSomeoneElse");

    // Replacing releases the old serial.
    expect((await replace("SM3")).status).toBe(200);
    expect(await check("SM1")).toBe("NotAssigned");
    expect((await call("Publisher/CheckMonitoredReceiverAssignmentStatus")).json()).toMatchObject({
      Code: "InvalidArgument",
    });
  });

  it("monitoring: Start needs the assigned serial, twice is AlreadyActive, the TTL knob lapses it", async () => {
    const { call } = await setUp({ monitoringTtlMs: 10 * MINUTE });
    const startMonitoring = (serial: string) =>
      call("Publisher/StartRemoteMonitoringSession", `serialNumber=${serial}`);
    const active = async () => (await call("Publisher/IsRemoteMonitoringSessionActive")).json();
    expect(codeOf(await startMonitoring("SM1"))).toBe("MonitoredReceiverNotAssigned");
    await call("Publisher/ReplacePublisherAccountMonitoredReceiver", "serialNumber=SM1");
    expect(codeOf(await startMonitoring("SM9"))).toBe("MonitoredReceiverSerialNumberDoesNotMatch");
    expect(codeOf(await startMonitoring("SM1"))).toBe(200);
    expect(codeOf(await startMonitoring("SM1"))).toBe("MonitoringSessionAlreadyActive");
    expect(await active()).toBe(true);
    now += 10 * MINUTE;
    expect(await active()).toBe(false);
    expect(codeOf(await startMonitoring("SM1"))).toBe(200);
  });

  async function ready(knobs: ShareEmulatorKnobsInput = {}) {
    const session = await setUp(knobs);
    await session.call("Publisher/ReplacePublisherAccountMonitoredReceiver", "serialNumber=SM1");
    await session.call("Publisher/StartRemoteMonitoringSession", "serialNumber=SM1");
    const post = (ta: number, egvs: unknown[], sn = "SM1") =>
      session.call("Publisher/PostReceiverEgvRecords", "", { SN: sn, TA: ta, Egvs: egvs });
    const read = async (query = "minutes=1440&maxCount=288") =>
      (await session.call("Publisher/ReadPublisherLatestGlucoseValues", query, {})).json() as Record<
        string,
        unknown
      >[];
    return { ...session, post, read };
  }

  const egv = (stMs: number, value: number, trend: number | string = 4, dtMs = stMs) => ({
    ST: `/Date(${stMs})/`,
    DT: `/Date(${dtMs})/`,
    Value: value,
    Trend: trend,
  });

  it("post preconditions: the serial and the monitoring session", async () => {
    const { call, post } = await ready();
    expect(codeOf(await post(0, [egv(T, 100)], "SM9"))).toBe("MonitoredReceiverSerialNumberDoesNotMatch");
    await call("Publisher/StopRemoteMonitoringSession");
    expect(codeOf(await post(0, [egv(T, 100)]))).toBe("MonitoringSessionNotActive");
    expect(emulator.account("wearer").egvs).toHaveLength(0);
  });

  it("post validation names the bad field and stores nothing", async () => {
    const { post } = await ready();
    const cases: [unknown[], string][] = [
      [[egv(T, 100), { ...egv(T, 101), ST: "yesterday" }], "Egvs[1].ST"],
      [[{ ...egv(T, 101), DT: 5 }], "Egvs[0].DT"],
      [[{ ...egv(T, 101), Value: "high" }], "Egvs[0].Value"],
      [[{ ...egv(T, 101), Trend: "Sideways" }], "Egvs[0].Trend"],
    ];
    for (const [egvs, field] of cases) {
      const answer = await post(0, egvs);
      expect(answer.json()).toMatchObject({
        Code: "InvalidArgument",
        Message: `Invalid argument: ${field} is missing or not valid.`,
      });
    }
    expect(codeOf(await post(1.5, [egv(T, 100)]))).toBe("InvalidArgument");
    expect(emulator.account("wearer").egvs).toHaveLength(0);
  });

  it("WT = ST + TA × 1000 with the 2015 capture's numbers (share-api §6.3); the sign is a knob", async () => {
    const gistSt = 1426784306000;
    const { post } = await ready();
    now = 1426769941000 + MINUTE;
    expect((await post(-14365, [egv(gistSt, 99)])).status).toBe(200);
    expect(emulator.account("wearer").egvs[0]?.wtMs).toBe(1426769941000);
    await emulator.close();

    now = T;
    const flipped = await ready({ taSign: -1 });
    await flipped.post(-5, [egv(T - MINUTE, 99)]);
    expect(emulator.account("wearer").egvs[0]?.wtMs).toBe(T - MINUTE + 5000);
  });

  it("duplicates: the new readings are stored, then DuplicateEgvPosted; the key is SN + ST second", async () => {
    const { post } = await ready();
    const t = T - 817; // a whole second
    expect((await post(0, [egv(t - 600_000, 100), egv(t - 300_000, 101)])).status).toBe(200);
    const answer = await post(0, [egv(t - 300_000 + 400, 111), egv(t, 102)]);
    expect(answer.json()).toMatchObject({ Code: "DuplicateEgvPosted" });
    expect(emulator.account("wearer").egvs.map((e) => e.value)).toEqual([100, 101, 102]);
  });

  it("duplicateKey wt: the same instant posted in another time mode is a duplicate", async () => {
    const { post } = await ready({ duplicateKey: "wt" });
    await post(0, [egv(T - 300_000, 100)]);
    const answer = await post(3600, [egv(T - 300_000 - 3_600_000, 100)]);
    expect(codeOf(answer)).toBe("DuplicateEgvPosted");
    expect(emulator.account("wearer").egvs).toHaveLength(1);
  });

  it("future readings beyond the tolerance are dropped, the rest stored", async () => {
    const { post } = await ready({ futureToleranceMs: 2 * MINUTE });
    const answer = await post(0, [egv(T, 100), egv(T + 2 * MINUTE, 101), egv(T + 2 * MINUTE + 1000, 102)]);
    expect(answer.json()).toMatchObject({ Code: "FutureEgvPosted" });
    expect(emulator.account("wearer").egvs.map((e) => e.value)).toEqual([100, 101]);
  });

  it("reads in the modern format: the 2025 capture's element exactly", async () => {
    const { post, read } = await ready();
    await post(0, [egv(1745081013000, 224, 4, 1745081013000 - 4 * 3_600_000)]);
    now = 1745081013817 + MINUTE;
    const answer = await read();
    expect(JSON.stringify(answer)).toBe(
      '[{"WT":"Date(1745081013000)","ST":"Date(1745081013000)","DT":"Date(1745081013000-0400)","Value":224,"Trend":"Flat"}]',
    );
  });

  it("reads in the legacy format: slashes, numeric trends, the 2015 key order", async () => {
    const { post, read } = await ready({ dateStyle: "legacy", trendStyle: "number" });
    await post(0, [egv(T - MINUTE, 99, 6, T - MINUTE - 7 * 3_600_000)]);
    expect(JSON.stringify(await read())).toBe(
      `[{"DT":"/Date(${T - MINUTE}-0700)/","ST":"/Date(${T - MINUTE})/","Trend":6,"Value":99,"WT":"/Date(${T - MINUTE})/"}]`,
    );
  });

  it("DT offsets beyond ±14 h read as +0000; the fixed source overrides", async () => {
    const { post, read } = await ready();
    await post(0, [egv(T - MINUTE, 99, 4, T - MINUTE - 15 * 3_600_000)]);
    expect((await read())[0]?.["DT"]).toBe(`Date(${T - MINUTE}+0000)`);
    await emulator.close();
    const fixed = await ready({ dtOffsetSource: "fixed", fixedDtOffsetMinutes: 120 });
    await fixed.post(0, [egv(T - MINUTE, 99)]);
    expect((await fixed.read())[0]?.["DT"]).toBe(`Date(${T - MINUTE}+0200)`);
  });

  it("reads: window, newest first, maxCount, zero answers [], missing parameters are InvalidArgument", async () => {
    const { post, read, call } = await ready();
    await post(
      0,
      [0, 1, 2, 3, 4].map((i) => egv(T - (4 - i) * 5 * MINUTE, 100 + i)),
    );
    const values = (rows: Record<string, unknown>[]) => rows.map((r) => r["Value"]);
    expect(values(await read("minutes=1440&maxCount=288"))).toEqual([104, 103, 102, 101, 100]);
    expect(values(await read("minutes=10&maxCount=288"))).toEqual([104, 103, 102]);
    expect(values(await read("minutes=1440&maxCount=2"))).toEqual([104, 103]);
    expect(await read("minutes=0&maxCount=5")).toEqual([]);
    expect(await read("minutes=60&maxCount=0")).toEqual([]);
    expect(codeOf(await call("Publisher/ReadPublisherLatestGlucoseValues", "maxCount=1"))).toBe(
      "InvalidArgument",
    );
    expect(codeOf(await call("Publisher/ReadPublisherLatestGlucoseValues", "minutes=-5&maxCount=1"))).toBe(
      "InvalidArgument",
    );
  });

  it("requireFollowerForRead: [] until the account has a follower", async () => {
    const { post, read, call } = await ready({ requireFollowerForRead: true });
    await post(0, [egv(T - MINUTE, 99)]);
    expect(await read()).toEqual([]);
    const contactId = (
      await call("Publisher/CreateContact", "contactName=Mum&emailAddress=mum%40example.org")
    ).json();
    expect(await read()).toEqual([]); // a contact without an invitation is not a follower
    await call("Publisher/CreateSubscriptionInvitation", `contactId=${contactId}`, {
      DisplayName: "Sam",
      Permissions: 1,
      AlertSettings: {},
    });
    expect(await read()).toHaveLength(1);
  });

  it("followers: create, invite, list, read, rename, delete twice", async () => {
    const { call } = await setUp();
    const created = await call(
      "Publisher/CreateContact",
      "contactName=Mum%20%26%20Dad&emailAddress=parents%40example.org",
    );
    const contactId = created.json() as string;
    expect((await call("Publisher/DoesContactExistByName", "contactName=mum%20%26%20dad")).json()).toBe(true);
    expect(
      codeOf(await call("Publisher/CreateContact", "contactName=Mum%20%26%20Dad&emailAddress=x%40y.org")),
    ).toBe("InvalidArgument");
    expect(codeOf(await call("Publisher/CreateContact", "contactName=Other&emailAddress=nope"))).toBe(
      "InvalidEmailAddress",
    );
    const subscriptionId = (
      await call("Publisher/CreateSubscriptionInvitation", `contactId=${contactId}`, {
        DisplayName: "Sam",
        Permissions: 1,
        AlertSettings: { HighAlert: {} },
      })
    ).json();
    expect((await call("Publisher/ListPublisherAccountSubscriptions")).json()).toEqual([
      {
        ContactId: contactId,
        ContactName: "Mum & Dad",
        DateTimeCreated: { DateTime: `/Date(${T - 817})/`, OffsetMinutes: 0 },
        DateTimeModified: { DateTime: `/Date(${T - 817})/`, OffsetMinutes: 0 },
        DisplayName: "Sam",
        InviteExpires: { DateTime: `/Date(${T - 817 + 7 * 86_400_000})/`, OffsetMinutes: 0 },
        IsEnabled: true,
        IsMonitoringSessionActive: false,
        Permissions: 1,
        State: 2,
        SubscriberId: "00000000-0000-0000-0000-000000000000",
        SubscriptionId: subscriptionId,
      },
    ]);
    expect((await call("Publisher/ReadContact", `contactId=${contactId}`)).json()).toEqual({
      ContactId: contactId,
      Name: "Mum & Dad",
      Email: "parents@example.org",
    });
    expect(
      (await call("Publisher/UpdateContactName", `contactId=${contactId}&contactName=Parents`)).status,
    ).toBe(200);
    const deleted = await call("Publisher/DeleteContact", `contactId=${contactId}`);
    expect([deleted.status, deleted.text]).toEqual([200, ""]);
    expect(codeOf(await call("Publisher/DeleteContact", `contactId=${contactId}`))).toBe(
      "ContactAlreadyDeleted",
    );
    expect(
      codeOf(await call("Publisher/DeleteContact", "contactId=12345678-1234-4234-8234-123456789012")),
    ).toBe("ContactIdNotFound");
    expect((await call("Publisher/ListPublisherAccountSubscriptions")).json()).toEqual([]);
  });

  it("runtime info travels with the session id in the body", async () => {
    const { sessionId } = await setUp();
    const answer = await raw(emulator, "Publisher/UpdatePublisherAccountRuntimeInfo", {
      body: {
        sessionId,
        runtimeInfo: { DeviceManufacturer: "Apple", DeviceModel: "iPhone5,2", AppName: "DexcomShare" },
      },
    });
    expect([answer.status, answer.text]).toEqual([200, ""]);
    expect(emulator.account("wearer").runtimeInfo).toEqual({
      DeviceManufacturer: "Apple",
      DeviceModel: "iPhone5,2",
      AppName: "DexcomShare",
    });
    expect(
      (await raw(emulator, "Publisher/UpdatePublisherAccountRuntimeInfo", { body: { runtimeInfo: {} } }))
        .status,
    ).toBe(400);
  });
});
