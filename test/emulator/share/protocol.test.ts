/**
 * The emulator on the wire, as third-party clients see it (share-api §1.3, §1.4, §3, §9, §14.2):
 * paths, methods, case-insensitive query keys, the three empty-body shapes, truly empty void answers,
 * the error envelope, the session answers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ShareEmulator, startShareEmulator } from "../../../src/emulator/share/index.js";
import { APP_ID, APP_ID_JP, login, raw } from "./raw-http.js";

const NULL_UUID = "00000000-0000-0000-0000-000000000000";
const T = Date.UTC(2025, 3, 19, 16, 43, 33, 817);

describe("Share emulator protocol", () => {
  let emulator: ShareEmulator;
  afterEach(async () => {
    await emulator?.close();
  });

  const start = (knobs = {}) =>
    startShareEmulator({
      accounts: [
        { name: "u$ern@me", password: "p@$$w0rd", aliases: ["wearer@example.org", "+15555550123"] },
        { name: "jp-user", password: "pw", region: "jp" },
      ],
      knobs,
      now: () => T,
    });

  it("SystemUtcTime: GET only, the documented shape", async () => {
    emulator = await start();
    const answer = await raw(emulator, "General/SystemUtcTime");
    expect([answer.status, answer.contentType]).toEqual([200, "application/json"]);
    expect(answer.json()).toEqual({ DateTime: "/Date(1745081013000)/", OffsetMinutes: 0 });
    expect((await raw(emulator, "General/SystemUtcTime", { method: "POST" })).status).toBe(405);
  });

  it("unknown operations and paths outside the prefix are 404; paths are case-sensitive", async () => {
    emulator = await start();
    expect((await raw(emulator, "General/NoSuchThing")).status).toBe(404);
    expect((await raw(emulator, "general/systemutctime", { method: "GET" })).status).toBe(404);
    const outside = await fetch(`${emulator.url()}/General/SystemUtcTime`);
    expect(outside.status).toBe(404);
    await outside.text();
  });

  it("the two-step login with special characters, as pydexcom records it", async () => {
    emulator = await start();
    const { accountId, sessionId } = await login(emulator, "u$ern@me", "p@$$w0rd");
    expect(accountId).toBe(emulator.account("u$ern@me").accountId);
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // E-mail and phone aliases work through AuthenticatePublisherAccount.
    for (const alias of ["wearer@example.org", "+15555550123", "U$ERN@ME"]) {
      const answer = await raw(emulator, "General/AuthenticatePublisherAccount", {
        body: { accountName: alias, password: "p@$$w0rd", applicationId: APP_ID },
      });
      expect(answer.json()).toBe(accountId);
    }
  });

  it("LoginPublisherAccountByName: a session for the classic name, the null UUID otherwise", async () => {
    emulator = await start();
    const byName = (accountName: string, password: string) =>
      raw(emulator, "General/LoginPublisherAccountByName", {
        body: { accountName, password, applicationId: APP_ID },
      });
    const ok = await byName("u$ern@me", "p@$$w0rd");
    expect(ok.status).toBe(200);
    expect(ok.json()).not.toBe(NULL_UUID);
    for (const [name, password] of [
      ["u$ern@me", "wrong"],
      ["wearer@example.org", "p@$$w0rd"],
      ["+15555550123", "p@$$w0rd"],
      ["nobody", "p@$$w0rd"],
    ] as const) {
      const answer = await byName(name, password);
      expect([answer.status, answer.json()]).toEqual([200, NULL_UUID]);
    }
  });

  it("LoginPublisherAccountByName in legacy-faults style answers the SSO codes", async () => {
    emulator = await start({ byNameStyle: "legacy-faults" });
    const answer = await raw(emulator, "General/LoginPublisherAccountByName", {
      body: { accountName: "u$ern@me", password: "wrong", applicationId: APP_ID },
    });
    expect(answer.status).toBe(500);
    expect((answer.json() as { Code: string }).Code).toBe("SSO_AuthenticatePasswordInvalid");
  });

  it("the error envelope: exact keys in order, FaultException, XML-like SubCode", async () => {
    emulator = await start();
    const answer = await raw(emulator, "General/AuthenticatePublisherAccount", {
      body: { accountName: "u$ern@me", password: "wrong", applicationId: APP_ID },
    });
    expect([answer.status, answer.contentType]).toEqual([500, "application/json"]);
    const envelope = answer.json() as Record<string, string>;
    expect(Object.keys(envelope)).toEqual(["Code", "Message", "SubCode", "TypeName"]);
    expect(envelope).toMatchObject({
      Code: "AccountPasswordInvalid",
      Message: "Publisher account password failed",
      TypeName: "FaultException",
    });
    expect(envelope["SubCode"]).toMatch(
      /^<OnlineException DateThrownLocal="2025-04-19T16:43:33.817Z" DateThrown="2025-04-19T16:43:33.817Z" ErrorCode="AccountPasswordInvalid" Type="13" Category="4" Severity="1" TypeString="InvalidPassword" CategoryString="Validation" SeverityString="Minor" HostName="" HostIP="" Id="\{[0-9A-F-]{36}\}" Message="Publisher account password failed" FullText="com\.dexcom\.udp\.common\.data\.exception\.OnlineException: Publisher account password failed" \/>$/,
    );
  });

  it("the late-2025 JSON SubCode", async () => {
    emulator = await start({ subCodeStyle: "json" });
    const { sessionId } = await login(emulator, "u$ern@me", "p@$$w0rd");
    emulator.dropSessions();
    const answer = await raw(emulator, "Publisher/IsRemoteMonitoringSessionActive", {
      query: `sessionId=${sessionId}`,
    });
    const envelope = answer.json() as Record<string, string>;
    expect(envelope["Code"]).toBe("SessionIdNotFound");
    expect(envelope["Message"]).toBe(`Failed to find session object. [SessionId = ${sessionId}]`);
    expect(JSON.parse(envelope["SubCode"] ?? "")).toMatchObject({
      OnlineException: {
        ErrorCode: "SessionIdNotFound",
        Type: 5,
        TypeString: "ObjectNotFound",
        Category: 2,
        Severity: 2,
      },
    });
  });

  it("query keys are case-insensitive; bodies may be absent, empty or {}; void answers are truly empty", async () => {
    emulator = await start();
    const { sessionId } = await login(emulator, "u$ern@me", "p@$$w0rd");
    // share2nightscout-bridge style: sessionID, no body at all.
    const replace = await raw(emulator, "Publisher/ReplacePublisherAccountMonitoredReceiver", {
      query: `sessionID=${sessionId}&SerialNumber=SM12345678`,
    });
    expect(replace.status).toBe(200);
    // xDrip+ style: Content-Length 0 with an empty string body.
    const start1 = await raw(emulator, "Publisher/StartRemoteMonitoringSession", {
      query: `SESSIONID=${sessionId}&serialnumber=SM12345678`,
      body: "",
    });
    expect([start1.status, start1.text, start1.headers.get("content-length")]).toEqual([200, "", "0"]);
    // pydexcom style: {} body, Accept */*.
    const active = await raw(emulator, "Publisher/IsRemoteMonitoringSessionActive", {
      query: `sessionId=${sessionId}`,
      body: {},
      headers: { accept: "*/*" },
    });
    expect([active.status, active.text]).toEqual([200, "true"]);
    const stop = await raw(emulator, "Publisher/StopRemoteMonitoringSession", {
      query: `sessionId=${sessionId}`,
      body: "{}",
    });
    expect([stop.status, stop.text]).toEqual([200, ""]);
  });

  it("session answers: non-UUID 400 text, unknown SessionIdNotFound, expired SessionNotValid, null UUID on reads empty", async () => {
    let now = T;
    emulator = await startShareEmulator({ accounts: [{ name: "w", password: "p" }], now: () => now });
    const { sessionId } = await login(emulator, "w", "p");
    const check = (query: string) =>
      raw(emulator, "Publisher/CheckMonitoredReceiverAssignmentStatus", {
        query: `${query}&serialNumber=SM1`,
      });

    const garbage = await check("sessionId=not-a-uuid");
    expect([garbage.status, garbage.contentType?.startsWith("text/plain")]).toEqual([400, true]);
    expect((await check("")).status).toBe(400);
    const unknown = await check("sessionId=12345678-1234-4234-8234-123456789012");
    expect((unknown.json() as { Code: string }).Code).toBe("SessionIdNotFound");
    const nullOther = await check(`sessionId=${NULL_UUID}`);
    expect((nullOther.json() as { Code: string }).Code).toBe("SessionIdNotFound");
    const nullRead = await raw(emulator, "Publisher/ReadPublisherLatestGlucoseValues", {
      query: `sessionId=${NULL_UUID}&minutes=10&maxCount=1`,
    });
    expect([nullRead.status, nullRead.text]).toEqual([200, ""]);

    expect((await check(`sessionId=${sessionId}`)).json()).toBe("NotAssigned");
    now += 24 * 3_600_000;
    const expired = await check(`sessionId=${sessionId}`);
    expect(expired.json()).toMatchObject({
      Code: "SessionNotValid",
      Message: `Session not active or timed out. [SessionId = ${sessionId}]`,
    });
    // SessionNotValid was seen with an empty ErrorCode attribute (share-api §9.2).
    expect((expired.json() as { SubCode: string }).SubCode).toContain('ErrorCode=""');
    expect((await check(`sessionId=${sessionId}`)).json()).toMatchObject({ Code: "SessionIdNotFound" });
  });

  it("idle session lifetime", async () => {
    let now = T;
    emulator = await startShareEmulator({
      accounts: [{ name: "w", password: "p" }],
      now: () => now,
      knobs: { idleTtlMs: 60_000 },
    });
    const { sessionId } = await login(emulator, "w", "p");
    const active = () =>
      raw(emulator, "Publisher/IsRemoteMonitoringSessionActive", { query: `sessionId=${sessionId}` });
    now += 59_000;
    expect((await active()).status).toBe(200);
    now += 59_000;
    expect((await active()).status).toBe(200);
    now += 60_000;
    expect((await active()).json()).toMatchObject({ Code: "SessionNotValid" });
  });

  it("login bodies are validated: InvalidArgument naming the field", async () => {
    emulator = await start();
    const auth = (body: unknown) => raw(emulator, "General/AuthenticatePublisherAccount", { body });
    const cases: [unknown, string][] = [
      [{ password: "p", applicationId: APP_ID }, "accountName"],
      [{ accountName: "u$ern@me", applicationId: APP_ID }, "password"],
      [
        {
          accountName: "u$ern@me",
          password: "p@$$w0rd",
          applicationId: "12345678-1234-4234-8234-123456789012",
        },
        "applicationId",
      ],
      [undefined, "accountName"],
      ["{}", "accountName"],
    ];
    for (const [body, field] of cases) {
      const answer = await auth(body);
      expect(answer.status).toBe(500);
      expect(answer.json()).toMatchObject({
        Code: "InvalidArgument",
        Message: `Invalid argument: ${field} is missing or not valid.`,
      });
    }
    const byId = await raw(emulator, "General/LoginPublisherAccountById", {
      body: { accountId: "nope", password: "p", applicationId: APP_ID },
    });
    expect(byId.json()).toMatchObject({
      Code: "InvalidArgument",
      Message: "Invalid argument: UUID is missing or not valid.",
    });
    expect((await auth("{not json")).status).toBe(400);
  });

  it("regions: accounts log in only on their own listener; both application ids accepted unless strict", async () => {
    emulator = await start();
    const jpAuth = (region: "us" | "jp", applicationId: string) =>
      raw(emulator, "General/AuthenticatePublisherAccount", {
        region,
        body: { accountName: "jp-user", password: "pw", applicationId },
      });
    expect((await jpAuth("us", APP_ID)).json()).toMatchObject({ Code: "AccountPasswordInvalid" });
    expect((await jpAuth("jp", APP_ID)).status).toBe(200);
    expect((await jpAuth("jp", APP_ID_JP)).status).toBe(200);
    // A us session is unknown on the jp listener.
    const { sessionId } = await login(emulator, "u$ern@me", "p@$$w0rd");
    const cross = await raw(emulator, "Publisher/IsRemoteMonitoringSessionActive", {
      region: "jp",
      query: `sessionId=${sessionId}`,
    });
    expect(cross.json()).toMatchObject({ Code: "SessionIdNotFound" });
    await emulator.close();

    emulator = await start({ strictApplicationId: true });
    expect((await jpAuth("jp", APP_ID)).json()).toMatchObject({ Code: "InvalidArgument" });
    expect((await jpAuth("jp", APP_ID_JP)).status).toBe(200);
    await emulator.close();

    emulator = await start({ regionSeparation: false });
    expect((await jpAuth("us", APP_ID)).status).toBe(200);
  });

  it("requests larger than 1 MiB are refused with 413", async () => {
    emulator = await start();
    const answer = await raw(emulator, "General/AuthenticatePublisherAccount", {
      body: "x".repeat(1024 * 1024 + 1),
    });
    expect(answer.status).toBe(413);
  });

  it("counts every request by operation, without queries or bodies", async () => {
    emulator = await start();
    await login(emulator, "u$ern@me", "p@$$w0rd");
    await raw(emulator, "General/SystemUtcTime");
    await raw(emulator, "General/Nope");
    expect(emulator.countsByOperation()).toEqual({
      "General/AuthenticatePublisherAccount": 1,
      "General/LoginPublisherAccountById": 1,
      "General/Nope": 1,
      "General/SystemUtcTime": 1,
    });
    expect(emulator.requests.map((r) => [r.seq, r.method, r.status])).toEqual([
      [1, "POST", 200],
      [2, "POST", 200],
      [3, "GET", 200],
      [4, "POST", 404],
    ]);
    expect(JSON.stringify(emulator.requests)).not.toContain("p@$$w0rd");
  });
});
