/**
 * Untrusted answers: oversized, non-JSON, lying lengths, hanging servers, server errors without the
 * envelope. Each ends in a typed error within bounds, and transient ones are retried exactly as
 * configured (share-api §9.1, §14.1 item 6; STYLE undici hygiene).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ShareClient } from "../../src/share/client.js";
import { createShareSettings, type ShareSettingsInput } from "../../src/share/settings.js";
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

function clientOf(stub: Stub, settings: Partial<ShareSettingsInput> = {}): ShareClient {
  return new ShareClient({
    settings: createShareSettings({
      server: stub.url,
      username: "u",
      password: "p",
      retry: { retries: 2, minDelayMs: 0, maxDelayMs: 0 },
      ...settings,
    }),
  });
}

describe("transport limits", () => {
  let stub: Stub;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await stub?.close();
  });

  it("a body over 1 MiB is refused: SHARE_PROTOCOL, no retry", async () => {
    stub = await startStub((_req, res) =>
      sendText(res, 200, `"${"x".repeat(1024 * 1024 + 10)}"`, "application/json"),
    );
    client = clientOf(stub);
    expect((await failure(client.serverTime())).code).toBe("SHARE_PROTOCOL");
    expect(stub.requests).toHaveLength(1);
  });

  it("a chunked body over 1 MiB (no length announced) is cut off: SHARE_PROTOCOL", async () => {
    stub = await startStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = "x".repeat(64 * 1024);
      for (let i = 0; i < 20; i++) res.write(chunk);
      res.end();
    });
    client = clientOf(stub);
    expect((await failure(client.serverTime())).code).toBe("SHARE_PROTOCOL");
  });

  it("a 200 that is not JSON: SHARE_PROTOCOL, no retry", async () => {
    stub = await startStub((_req, res) => sendText(res, 200, "<html>maintenance</html>"));
    client = clientOf(stub);
    const error = await failure(client.serverTime());
    expect(error.code).toBe("SHARE_PROTOCOL");
    expect(stub.requests).toHaveLength(1);
  });

  it.each([502, 503, 504])("HTTP %i without the envelope is transient: 1 + 2 retries", async (status) => {
    stub = await startStub((_req, res) => sendText(res, status, "<html>gateway</html>"));
    client = clientOf(stub);
    const error = await failure(client.serverTime());
    expect(error.code).toBe("SHARE_UNAVAILABLE");
    expect(error.context).toMatchObject({ httpStatus: status });
    expect(stub.requests).toHaveLength(3);
    expect(client.stats).toEqual({ requests: 3, transientFailures: 3, faults: 0 });
  });

  it("HTTP 400 with a text body is a refusal, never retried", async () => {
    stub = await startStub((_req, res) => sendText(res, 400, "Bad Request", "text/plain"));
    client = clientOf(stub);
    expect((await failure(client.serverTime())).code).toBe("SHARE_REJECTED");
    expect(stub.requests).toHaveLength(1);
  });

  it("an envelope on HTTP 500 is never retried, whatever the code", async () => {
    stub = await startStub((_req, res) => sendJson(res, 500, fault("SomethingNew", "x")));
    client = clientOf(stub);
    const error = await failure(client.serverTime());
    expect(error.code).toBe("SHARE_REJECTED");
    expect(error.context).toMatchObject({ shareCode: "SomethingNew", fault: "other", httpStatus: 500 });
    expect(stub.requests).toHaveLength(1);
  });

  it("a server that never answers: headers timeout, retried, then SHARE_UNAVAILABLE", async () => {
    stub = await startStub(() => {
      /* never answers */
    });
    client = clientOf(stub, {
      timeouts: { headersMs: 200 },
      retry: { retries: 1, minDelayMs: 0, maxDelayMs: 0 },
    });
    const error = await failure(client.serverTime());
    expect(error.code).toBe("SHARE_UNAVAILABLE");
    expect(error.context).toMatchObject({ cause: "UND_ERR_HEADERS_TIMEOUT" });
    expect(stub.requests).toHaveLength(2);
  });

  it("a body that stalls: body timeout", async () => {
    stub = await startStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('"abc');
    });
    client = clientOf(stub, { timeouts: { bodyMs: 200 }, retry: { retries: 0 } });
    const error = await failure(client.serverTime());
    expect(error.code).toBe("SHARE_UNAVAILABLE");
    expect(error.context).toMatchObject({ cause: "UND_ERR_BODY_TIMEOUT" });
  });

  it("nobody listening: connection refused is transient", async () => {
    stub = await startStub(() => undefined);
    const url = stub.url;
    await stub.close();
    client = new ShareClient({
      settings: createShareSettings({
        server: url,
        username: "u",
        password: "p",
        retry: { retries: 1, minDelayMs: 0 },
      }),
    });
    const error = await failure(client.serverTime());
    expect(error.code).toBe("SHARE_UNAVAILABLE");
    expect(error.context).toMatchObject({ cause: "ECONNREFUSED" });
    expect(client.stats.requests).toBe(2);
  });

  it("SystemUtcTime: GET, parsed with or without slashes", async () => {
    let form = "/Date(1426779240000)/";
    stub = await startStub((_req, res) => sendJson(res, 200, { DateTime: form, OffsetMinutes: 0 }));
    client = clientOf(stub);
    expect((await client.serverTime()).serverUtcMs).toBe(1426779240000);
    form = "Date(1745081013817)";
    expect((await client.serverTime()).serverUtcMs).toBe(1745081013817);
    expect(stub.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
  });

  it("a read answer that is not an array: SHARE_PROTOCOL; broken elements are skipped", async () => {
    let answer: unknown = { not: "an array" };
    stub = await startStub((req, res) => {
      if (req.operation.endsWith("AuthenticatePublisherAccount")) return sendJson(res, 200, ACCOUNT_ID);
      if (req.operation.endsWith("LoginPublisherAccountById")) return sendJson(res, 200, SESSION_ID);
      sendJson(res, 200, answer);
    });
    client = clientOf(stub);
    expect((await failure(client.readLatestGlucose({ minutes: 10, maxCount: 2 }))).code).toBe(
      "SHARE_PROTOCOL",
    );
    answer = [
      {
        WT: "Date(1745081013817)",
        ST: "Date(1745081013817)",
        DT: "Date(1745081013817-0400)",
        Value: 224,
        Trend: "Flat",
      },
      { WT: "garbage", Value: 100 },
      { WT: "Date(1745080713817)", Value: "high" },
      "text",
      null,
      { WT: "/Date(1745080413817)/", Value: 90, Trend: "SINGLE_DOWN" },
    ];
    const result = await client.readLatestGlucose({ minutes: 10, maxCount: 2 });
    expect(result.skipped).toBe(4);
    expect(result.readings.map((r) => [r.wtMs, r.glucose, r.trendName, r.dtOffsetMinutes])).toEqual([
      [1745081013817, 224, "Flat", -240],
      [1745080413817, 90, "SingleDown", undefined],
    ]);
  });

  it.each([
    [
      "an empty body",
      (res: Parameters<typeof sendJson>[0]) => sendText(res, 200, "", "text/plain"),
      "empty-body",
    ],
    ["JSON null", (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, null), "empty-body"],
    ["[]", (res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, []), "no-data"],
    [
      "an assignment fault",
      (res: Parameters<typeof sendJson>[0]) => sendJson(res, 500, fault("MonitoredReceiverNotAssigned")),
      "assignment",
    ],
  ])(
    "a read answered with %s is nothing to read, one request, no re-login (share-api §7.3, §18)",
    async (_title, answer, reason) => {
      stub = await startStub((req, res) => {
        if (req.operation.endsWith("AuthenticatePublisherAccount")) return sendJson(res, 200, ACCOUNT_ID);
        if (req.operation.endsWith("LoginPublisherAccountById")) return sendJson(res, 200, SESSION_ID);
        answer(res);
      });
      client = clientOf(stub);
      expect(await client.readLatestGlucose({ minutes: 10, maxCount: 2 })).toEqual({
        readings: [],
        skipped: 0,
        emptyBecause: reason,
      });
      expect(stub.operations()).toEqual([
        "General/AuthenticatePublisherAccount",
        "General/LoginPublisherAccountById",
        "Publisher/ReadPublisherLatestGlucoseValues",
      ]);
      expect(stub.requests[2]?.query.get("sessionId")).toBe(SESSION_ID);
      expect(stub.requests[2]?.query.get("minutes")).toBe("10");
      expect(stub.requests[2]?.query.get("maxCount")).toBe("2");
      expect(stub.requests[2]?.body).toBe("");
      expect(stub.requests[2]?.headers["content-length"]).toBe("0");
    },
  );
});
