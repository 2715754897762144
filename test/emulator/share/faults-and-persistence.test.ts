/** Fault injection (share-api §14.2 faults.*) and optional persistence (DESIGN §9). */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ShareEmulator, startShareEmulator } from "../../../src/emulator/share/index.js";
import { login, raw } from "./raw-http.js";

const T = Date.UTC(2026, 0, 10, 9, 0, 0);
const MINUTE = 60_000;

describe("fault injection", () => {
  let emulator: ShareEmulator;
  let now = T;
  afterEach(async () => {
    await emulator?.close();
    now = T;
  });

  it("outage window: 503 with a non-JSON body, before and after it everything works", async () => {
    emulator = await startShareEmulator({
      knobs: { faults: { outage: { afterMs: MINUTE, durationMs: 2 * MINUTE } } },
      now: () => now,
    });
    const time = () => raw(emulator, "General/SystemUtcTime");
    expect((await time()).status).toBe(200);
    now += MINUTE;
    const down = await time();
    expect([down.status, down.contentType]).toEqual([503, "text/html"]);
    expect(() => JSON.parse(down.text)).toThrow();
    now += 2 * MINUTE - 1;
    expect((await time()).status).toBe(503);
    now += 1;
    expect((await time()).status).toBe(200);
    emulator.setOutage(true);
    expect((await time()).status).toBe(503);
    emulator.setOutage(undefined);
    expect((await time()).status).toBe(200);
  });

  it("random SessionNotValid follows the seed: the same sequence every run", async () => {
    const sequence = async () => {
      const e = await startShareEmulator({
        accounts: [{ name: "w", password: "p" }],
        knobs: { faults: { sessionNotValidRate: 0.3, seed: 42 } },
      });
      try {
        const { sessionId } = await login(e, "w", "p");
        const out: number[] = [];
        for (let i = 0; i < 20; i++) {
          out.push(
            (await raw(e, "Publisher/IsRemoteMonitoringSessionActive", { query: `sessionId=${sessionId}` }))
              .status,
          );
        }
        return out;
      } finally {
        await e.close();
      }
    };
    const first = await sequence();
    expect(await sequence()).toEqual(first);
    const faults = first.filter((s) => s === 500).length;
    expect(faults).toBeGreaterThan(0);
    expect(faults).toBeLessThan(20);
  });

  it("Cloudflare-like headers and latency", async () => {
    emulator = await startShareEmulator({ knobs: { faults: { cloudflareHeaders: true, latencyMs: 150 } } });
    const started = performance.now();
    const answer = await raw(emulator, "General/SystemUtcTime");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(answer.headers.get("server")).toBe("cloudflare");
    expect(answer.headers.get("cf-ray")).toMatch(/^[0-9a-f]{16}-IAD$/);
    expect(answer.headers.get("set-cookie")).toMatch(/^_cfuvid=/);
    expect(answer.headers.get("strict-transport-security")).toContain("max-age=");
  });

  it("a port in use is a configuration error naming the address", async () => {
    emulator = await startShareEmulator({ listen: { us: {} } });
    const port = Number(new URL(emulator.url("us")).port);
    await expect(startShareEmulator({ listen: { us: { host: "127.0.0.1", port } } })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      context: { region: "us", host: "127.0.0.1", port, errno: "EADDRINUSE" },
    });
  });

  it("refuses invalid knobs", async () => {
    await expect(startShareEmulator({ knobs: { dateStyle: "ancient" as never } })).rejects.toThrow(
      /dateStyle/,
    );
    await expect(startShareEmulator({ knobs: { faults: { sessionNotValidRate: 2 } } })).rejects.toThrow(
      /sessionNotValidRate/,
    );
    await expect(startShareEmulator({ knobs: { lockout: { attempts: 0 } } })).rejects.toThrow(
      /lockout.attempts/,
    );
  });
});

describe("persistence", () => {
  let dir: string;
  let emulator: ShareEmulator | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "share-emulator-"));
  });
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps readings, assignment, monitoring and followers across a restart, but no session or password", async () => {
    const stateFile = join(dir, "share.json");
    const accounts = [{ name: "w", password: "secret-pw" }];
    emulator = await startShareEmulator({ accounts, stateFile });
    const { sessionId } = await login(emulator, "w", "secret-pw");
    const call = (operation: string, query = "", body?: unknown) =>
      raw(emulator as ShareEmulator, operation, {
        query: `sessionId=${sessionId}${query && `&${query}`}`,
        body,
      });
    await call("Publisher/ReplacePublisherAccountMonitoredReceiver", "serialNumber=SM1");
    await call("Publisher/StartRemoteMonitoringSession", "serialNumber=SM1");
    const st = Math.floor(Date.now() / 1000) * 1000 - MINUTE;
    await call("Publisher/PostReceiverEgvRecords", "", {
      SN: "SM1",
      TA: 0,
      Egvs: [{ ST: `/Date(${st})/`, DT: `/Date(${st})/`, Value: 123, Trend: 4 }],
    });
    const contactId = (
      await call("Publisher/CreateContact", "contactName=Mum&emailAddress=m%40e.org")
    ).json();
    await emulator.close();

    const text = await readFile(stateFile, "utf8");
    expect(text).not.toContain("secret-pw");
    expect(text).not.toContain(sessionId);

    emulator = await startShareEmulator({ accounts, stateFile });
    const account = emulator.account("w");
    expect(account.assignedSerial).toBe("SM1");
    expect(account.monitoring.active).toBe(true);
    expect(account.egvs.map((e) => [e.value, e.wtMs])).toEqual([[123, st]]);
    expect(account.contacts.map((c) => c.contactId)).toEqual([contactId]);
    expect(emulator.state.serials.get("SM1")).toBe(account.accountId);
    // The old session is gone, as after a real server restart.
    const stale = await raw(emulator, "Publisher/IsRemoteMonitoringSessionActive", {
      query: `sessionId=${sessionId}`,
    });
    expect(stale.json()).toMatchObject({ Code: "SessionIdNotFound" });
    // A repost of the same reading is a duplicate: the keys were restored too.
    const again = await login(emulator, "w", "secret-pw");
    const repost = await raw(emulator, "Publisher/PostReceiverEgvRecords", {
      query: `sessionId=${again.sessionId}`,
      body: { SN: "SM1", TA: 0, Egvs: [{ ST: `/Date(${st})/`, DT: `/Date(${st})/`, Value: 123, Trend: 4 }] },
    });
    expect(repost.json()).toMatchObject({ Code: "DuplicateEgvPosted" });
  });

  it("a corrupt state file is set aside and the emulator starts empty", async () => {
    const stateFile = join(dir, "share.json");
    await writeFile(stateFile, "{ not json");
    emulator = await startShareEmulator({ accounts: [{ name: "w", password: "p" }], stateFile });
    expect(emulator.account("w").egvs).toEqual([]);
    expect(await readFile(`${stateFile}.corrupt`, "utf8")).toBe("{ not json");
  });
});
