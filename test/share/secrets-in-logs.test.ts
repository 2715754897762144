/**
 * Secrets never reach logs or errors: not the password, not a session id — even though the server
 * embeds the session id in its fault messages (share-api §3.3) and everything logs at trace level.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import { isSharebridgeError } from "../../src/errors.js";
import { ShareClient } from "../../src/share/client.js";
import { createShareSettings } from "../../src/share/settings.js";
import { failure } from "./support/failure.js";
import { logSink } from "./support/log-sink.js";
import { clientFor, emulatorWithWearer, PASSWORD, readings, SERIAL } from "./support/share-fixtures.js";
import {
  ACCOUNT_ID,
  fault,
  SESSION_ID,
  type Stub,
  sendJson,
  sendText,
  startStub,
} from "./support/stub-server.js";

const WRONG_PASSWORD = "Wr0ng-but-secret";

describe("secrets in logs", () => {
  let emulator: ShareEmulator;
  const clients: ShareClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await emulator?.close();
  });

  it("neither the password nor any session id appears in trace logs or errors", async () => {
    const sink = logSink();
    let now = Date.now();
    emulator = await emulatorWithWearer({ log: sink.log, now: () => now });
    const sessions = new Set<string>();
    const collectSessions = () => {
      for (const id of emulator.state.sessions.keys()) sessions.add(id);
    };
    const errors: string[] = [];
    const record = (error: unknown) => {
      if (!isSharebridgeError(error)) throw error;
      sink.log.error({ err: error, code: error.code, context: error.context }, error.message);
      errors.push(error.message, JSON.stringify(error.context), String(error.stack));
    };

    const wrong = clientFor(emulator, { password: WRONG_PASSWORD }, { log: sink.log });
    clients.push(wrong);
    await wrong.login().catch(record);

    const client = clientFor(emulator, {}, { log: sink.log });
    clients.push(client);
    const end = Math.floor(now / 1000);
    await client.postEgvs(SERIAL, readings(60, end - 600));
    collectSessions();
    now += 25 * 3_600_000; // the session expires; the server's answer names it
    await client.postEgvs(SERIAL, readings(2, Math.floor(now / 1000)));
    collectSessions();
    emulator.dropSessions(); // SessionIdNotFound, also naming it
    await client.readLatestGlucose({ minutes: 60, maxCount: 12 });
    collectSessions();
    emulator.setKnobs({ faults: { sessionNotValidRate: 1 } });
    await client.listFollowers().catch(record);
    collectSessions();
    emulator.setKnobs({ faults: { sessionNotValidRate: 0 } });
    await client.inviteFollower("Mum", "mum@example.org");
    await client.updateRuntimeInfo({
      DeviceManufacturer: "Raspberry Pi",
      DeviceModel: "Zero 2 W",
      DeviceOsVersion: "6.6",
      AppVersion: "0.1.0",
      AppName: "sharebridge",
      AppNumber: "",
      DeviceOsName: "Linux",
    });
    collectSessions();

    const text = sink.text();
    expect(sessions.size).toBeGreaterThanOrEqual(4);
    expect(errors.length).toBe(6);
    // The logs are really there: logins, re-logins, request lines from both sides.
    expect(text).toContain("logged in to Share");
    expect(text).toContain("Share dropped the session; logging in again");
    expect(text).toContain("Share refused the credentials");
    expect(text).toContain("share emulator request");
    expect(text).toContain('"msg":"Share request"');
    for (const secret of [PASSWORD, WRONG_PASSWORD, ...sessions]) {
      expect(text).not.toContain(secret);
      for (const line of errors) expect(line).not.toContain(secret);
    }
    // The server's message is kept for the operator, with the id scrubbed.
    expect(text).toContain("Session not active or timed out. [SessionId = <id>]");
  });
});

describe("secrets in server text", () => {
  let stub: Stub | undefined;
  let client: ShareClient | undefined;
  afterEach(async () => {
    await client?.close();
    await stub?.close();
  });

  const SECRET = "p@ss-w0rd-that-is-long";

  it("a password straddling the preview's cut leaves no part of itself (scrubbed before cut)", async () => {
    const sink = logSink();
    for (const at of [70, 75, 79, 80]) {
      stub = await startStub((_req, res) =>
        sendText(res, 400, `${"x".repeat(at)}${SECRET}${"y".repeat(40)}`),
      );
      client = new ShareClient({
        settings: createShareSettings({
          server: stub.url,
          username: "u",
          password: SECRET,
          retry: { retries: 0 },
        }),
        log: sink.log,
      });
      const error = await failure(client.serverTime());
      const shown = `${error.message} ${JSON.stringify(error.context)} ${sink.text()}`;
      for (let n = 4; n <= SECRET.length; n++) expect(shown).not.toContain(SECRET.slice(0, n));
      expect(String(error.context["preview"])).toMatch(/^x+(<redacted>|<re|<)?/);
      await client.close();
      await stub.close();
      client = undefined;
      stub = undefined;
    }
  });

  it("a fault whose Code and Message echo the session id and the password: scrubbed in the message, context and logs", async () => {
    const sink = logSink();
    stub = await startStub((req, res) => {
      if (req.operation.endsWith("AuthenticatePublisherAccount")) return sendJson(res, 200, ACCOUNT_ID);
      if (req.operation.endsWith("LoginPublisherAccountById")) return sendJson(res, 200, SESSION_ID);
      sendJson(
        res,
        500,
        fault(`Weird_${SESSION_ID.replace(/-/g, "")}_${SECRET}`, `${"m".repeat(195)}${SECRET} ${SESSION_ID}`),
      );
    });
    client = new ShareClient({
      settings: createShareSettings({
        server: stub.url,
        username: "u",
        password: SECRET,
        retry: { retries: 0 },
      }),
      log: sink.log,
    });
    const error = await failure(client.listFollowers());
    sink.log.error({ err: error, context: error.context }, error.message);
    const shown = `${error.message} ${JSON.stringify(error.context)} ${sink.text()}`;
    for (const secret of [SECRET, SESSION_ID, SESSION_ID.replace(/-/g, "")]) {
      for (let n = 6; n <= secret.length; n++) expect(shown).not.toContain(secret.slice(0, n));
    }
    expect(error.context["shareCode"]).toBe("Weird_<id>_<redacted>");
  });
});
