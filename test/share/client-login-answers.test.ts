/**
 * Login answers the emulator does not give on the two-step path: the null UUID and SSO_InternalError
 * texts are authentication failures (share-api §2, §3.2, §9.3); a 200 that is neither a UUID nor the
 * null UUID is a protocol failure, retried no sooner than 5 minutes later (§18.8).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ShareClient } from "../../src/share/client.js";
import { createShareSettings } from "../../src/share/settings.js";
import { failure } from "./support/failure.js";
import {
  ACCOUNT_ID,
  fault,
  SESSION_ID,
  type Stub,
  sendJson,
  sendText,
  startStub,
} from "./support/stub-server.js";

function clientOf(stub: Stub): ShareClient {
  return new ShareClient({
    settings: createShareSettings({ server: stub.url, username: "u", password: "p", retry: { retries: 0 } }),
  });
}

describe("login answers", () => {
  let stub: Stub;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await stub?.close();
  });

  it.each([
    [
      "the null UUID",
      (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, "00000000-0000-0000-0000-000000000000"),
      "null-uuid",
    ],
    [
      "SSO_InternalError: Cannot Authenticate by AccountName",
      (res: Parameters<typeof sendJson>[0]) =>
        sendJson(res, 500, fault("SSO_InternalError", "Cannot Authenticate by AccountName")),
      "SSO_InternalError",
    ],
  ])("%s from AuthenticatePublisherAccount: one request, then none", async (_title, answer, reason) => {
    stub = await startStub((_req, res) => answer(res));
    client = clientOf(stub);
    const first = await failure(client.login());
    expect(first.code).toBe("SHARE_CREDENTIALS");
    expect((await failure(client.login())).code).toBe("SHARE_CREDENTIALS");
    expect(client.loginState).toMatchObject({ state: "credentials-rejected", reason });
    expect(stub.operations()).toEqual(["General/AuthenticatePublisherAccount"]);
  });

  it.each([
    [
      "a string that is not a UUID",
      (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, "hello"),
      "not-a-uuid",
    ],
    ["an object", (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, {}), "not-a-uuid"],
    ["an empty body", (res: Parameters<typeof sendJson>[0]) => sendText(res, 200, ""), "not-a-uuid"],
    ["HTML", (res: Parameters<typeof sendJson>[0]) => sendText(res, 200, "<html>hello</html>"), "not-json"],
  ])(
    "%s from AuthenticatePublisherAccount: SHARE_PROTOCOL, no login for 5 minutes",
    async (_title, answer, reason) => {
      stub = await startStub((_req, res) => answer(res));
      let now = 1_800_000_000_000;
      client = new ShareClient({
        settings: createShareSettings({
          server: stub.url,
          username: "u",
          password: "p",
          retry: { retries: 0 },
        }),
        clock: { now: () => now },
      });
      expect((await failure(client.login())).code).toBe("SHARE_PROTOCOL");
      expect(client.loginState).toEqual({
        state: "closed",
        sinceMs: now,
        notBeforeMs: now + 300_000,
        reason,
      });
      now += 299_999;
      const early = await failure(client.login());
      expect(early.code).toBe("SHARE_UNAVAILABLE");
      expect(early.context).toMatchObject({ breaker: "not-before", retryAfterMs: 1 });
      expect(stub.requests).toHaveLength(1);
      now += 1;
      expect((await failure(client.login())).code).toBe("SHARE_PROTOCOL");
      expect(stub.requests).toHaveLength(2);
    },
  );

  it("the null UUID from LoginPublisherAccountById: two requests, then none", async () => {
    stub = await startStub((req, res) =>
      sendJson(
        res,
        200,
        req.operation.endsWith("AuthenticatePublisherAccount")
          ? ACCOUNT_ID
          : "00000000-0000-0000-0000-000000000000",
      ),
    );
    client = clientOf(stub);
    expect((await failure(client.login())).code).toBe("SHARE_CREDENTIALS");
    expect((await failure(client.login())).code).toBe("SHARE_CREDENTIALS");
    expect(stub.operations()).toEqual([
      "General/AuthenticatePublisherAccount",
      "General/LoginPublisherAccountById",
    ]);
  });

  it("sends the documented login bodies and headers", async () => {
    stub = await startStub((req, res) =>
      sendJson(res, 200, req.operation.endsWith("AuthenticatePublisherAccount") ? ACCOUNT_ID : SESSION_ID),
    );
    client = clientOf(stub);
    expect(await client.login()).toEqual({ accountId: ACCOUNT_ID });
    const [authenticate, byId] = stub.requests;
    expect(JSON.parse(authenticate?.body ?? "")).toEqual({
      accountName: "u",
      applicationId: "d89443d2-327c-4a6f-89e5-496bbb0317db",
      password: "p",
    });
    expect(JSON.parse(byId?.body ?? "")).toEqual({
      accountId: ACCOUNT_ID,
      applicationId: "d89443d2-327c-4a6f-89e5-496bbb0317db",
      password: "p",
    });
    expect(authenticate?.headers["content-type"]).toBe("application/json");
    expect(authenticate?.headers["accept"]).toBe("application/json");
    expect(authenticate?.headers["user-agent"]).toBe(
      "Dexcom Share/3.0.2.11 CFNetwork/711.2.23 Darwin/14.0.0",
    );
    expect(authenticate?.method).toBe("POST");
  });

  it("a remembered account id skips the first step", async () => {
    stub = await startStub((_req, res) => sendJson(res, 200, SESSION_ID));
    client = new ShareClient({
      settings: createShareSettings({ server: stub.url, username: "u", password: "p" }),
      knownAccountId: ACCOUNT_ID,
    });
    await client.login();
    expect(stub.operations()).toEqual(["General/LoginPublisherAccountById"]);
  });

  it("a remembered credentials-rejected state survives a restart: no request at all", async () => {
    stub = await startStub((_req, res) => sendJson(res, 200, SESSION_ID));
    client = new ShareClient({
      settings: createShareSettings({ server: stub.url, username: "u", password: "p" }),
      loginState: { state: "credentials-rejected", sinceMs: 1, reason: "AccountPasswordInvalid" },
    });
    expect((await failure(client.login())).code).toBe("SHARE_CREDENTIALS");
    expect(stub.requests).toHaveLength(0);
  });
});
