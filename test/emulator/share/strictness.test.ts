/**
 * The emulator's strict defaults and misbehaviour knobs (share-api §18), over raw HTTP: trends
 * outside 0..7 and serials in the wrong case are refused; a slot can be held by another uploader;
 * throttling carries Retry-After; logins can be refused or answered with garbage; faults can come
 * with HTTP 200 and void successes with a body; chosen readings are refused; bodies trickle on
 * injected timers; latency jitter follows the seed.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Timers } from "../../../src/clock.js";
import {
  type ShareEmulator,
  type ShareEmulatorKnobsInput,
  startShareEmulator,
} from "../../../src/emulator/share/index.js";
import { APP_ID, login, raw } from "./raw-http.js";

const T = Date.UTC(2026, 2, 3, 4, 5, 6);
const MINUTE = 60_000;

/** Timers that fire only when the test says so, in due order. */
function manualTimers(): Timers & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let nextId = 0;
  const due = new Map<number, { at: number; callback: () => void }>();
  return {
    setTimeout(callback, ms) {
      const id = ++nextId;
      due.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = [...due.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (next === undefined) break;
        due.delete(next[0]);
        now = next[1].at;
        next[1].callback();
      }
      now = until;
    },
    pending: () => due.size,
  };
}

describe("Share emulator strictness and misbehaviour (share-api §18)", () => {
  let emulator: ShareEmulator;
  let now = T;
  afterEach(async () => {
    await emulator?.close();
    now = T;
  });

  async function ready(knobs: ShareEmulatorKnobsInput = {}, serial = "SM1") {
    emulator = await startShareEmulator({
      accounts: [{ name: "wearer", password: "pw" }],
      knobs,
      now: () => now,
    });
    const { sessionId } = await login(emulator, "wearer", "pw");
    const call = (operation: string, query = "", body?: unknown) =>
      raw(emulator, operation, { query: `sessionId=${sessionId}${query === "" ? "" : `&${query}`}`, body });
    await call("Publisher/ReplacePublisherAccountMonitoredReceiver", `serialNumber=${serial}`);
    await call("Publisher/StartRemoteMonitoringSession", `serialNumber=${serial}`);
    const post = (egvs: unknown[], sn = serial) =>
      call("Publisher/PostReceiverEgvRecords", "", { SN: sn, TA: 0, Egvs: egvs });
    return { call, post };
  }

  const egv = (stMs: number, value: number, trend: number | string = 4) => ({
    ST: `/Date(${stMs})/`,
    DT: `/Date(${stMs})/`,
    Value: value,
    Trend: trend,
  });
  const codeOf = (answer: { text: string }) => (JSON.parse(answer.text) as { Code: string }).Code;

  it.each([
    [8, "Egvs[1].Trend"],
    [9, "Egvs[1].Trend"],
    ["NotComputable", "Egvs[1].Trend"],
  ])(
    "refuses trend %s by default with InvalidArgument and stores nothing; trendRange 0-9 takes it",
    async (trend, field) => {
      const strict = await ready();
      const refused = await strict.post([egv(T - MINUTE, 100, 7), egv(T, 101, trend)]);
      expect([refused.status, refused.json()]).toEqual([
        500,
        expect.objectContaining({
          Code: "InvalidArgument",
          Message: `Invalid argument: ${field} is missing or not valid.`,
        }),
      ]);
      expect(emulator.account("wearer").egvs).toHaveLength(0);
      await emulator.close();
      const lenient = await ready({ trendRange: "0-9" });
      expect((await lenient.post([egv(T, 101, trend)])).status).toBe(200);
    },
  );

  it("compares serials exactly by default; serialMatch ignore-case folds them", async () => {
    const strict = await ready({}, "SM12345678");
    expect(codeOf(await strict.post([egv(T, 100)], "sm12345678"))).toBe(
      "MonitoredReceiverSerialNumberDoesNotMatch",
    );
    expect(
      (
        await strict.call("Publisher/CheckMonitoredReceiverAssignmentStatus", "serialNumber=sm12345678")
      ).json(),
    ).toBe("NotAssigned");
    await emulator.close();
    const lenient = await ready({ serialMatch: "ignore-case" }, "SM12345678");
    expect((await lenient.post([egv(T, 100)], "sm12345678")).status).toBe(200);
    expect(emulator.account("wearer").egvs[0]?.sn).toBe("SM12345678");
  });

  it("a slot held by another uploader: active shows its reading from a minute ago, silent shows none", async () => {
    emulator = await startShareEmulator({
      accounts: [
        { name: "a", password: "pw", heldBy: { serial: "SM7", activity: "active" } },
        { name: "s", password: "pw", heldBy: { serial: "SM8", activity: "silent" } },
      ],
      now: () => now,
    });
    for (const [name, serial, expected] of [
      ["a", "SM7", [{ WT: `Date(${T - MINUTE})`, Value: 120, Trend: "Flat" }]],
      ["s", "SM8", []],
    ] as const) {
      const { sessionId } = await login(emulator, name, "pw");
      const q = (rest: string) => ({ query: `sessionId=${sessionId}&${rest}` });
      const start = await raw(emulator, "Publisher/StartRemoteMonitoringSession", q("serialNumber=SM1"));
      expect(codeOf(start)).toBe("MonitoredReceiverSerialNumberDoesNotMatch");
      expect(emulator.account(name).assignedSerial).toBe(serial);
      const read = await raw(
        emulator,
        "Publisher/ReadPublisherLatestGlucoseValues",
        q("minutes=15&maxCount=1"),
      );
      expect(read.json()).toEqual(expected.map((e) => expect.objectContaining(e)));
    }
  });

  it("throttle: 429 (or 503) with Retry-After during its window, non-JSON, then normal answers", async () => {
    emulator = await startShareEmulator({
      knobs: {
        faults: { throttle: { status: 429, retryAfterSeconds: 120, afterMs: 0, durationMs: 2 * MINUTE } },
      },
      now: () => now,
    });
    const time = () => raw(emulator, "General/SystemUtcTime");
    const throttled = await time();
    expect([throttled.status, throttled.headers.get("retry-after"), throttled.text]).toEqual([
      429,
      "120",
      "Too Many Requests",
    ]);
    now += 2 * MINUTE;
    expect((await time()).status).toBe(200);
    emulator.setKnobs({
      faults: { throttle: { status: 503, retryAfterSeconds: null, afterMs: 0, durationMs: 10 * MINUTE } },
    });
    const unavailable = await time();
    expect([unavailable.status, unavailable.headers.get("retry-after")]).toEqual([503, null]);
    expect(emulator.requests.map((r) => r.status)).toEqual([429, 200, 503]);
  });

  it.each([
    ["http-401", 401, "Unauthorized"],
    ["http-403", 403, "Forbidden"],
    ["garbage", 200, '"OK"'],
  ] as const)(
    "loginAnswer %s: every login operation answers %i, other operations are unaffected",
    async (mode, status, body) => {
      emulator = await startShareEmulator({
        accounts: [{ name: "wearer", password: "pw" }],
        knobs: { faults: { loginAnswer: mode } },
      });
      for (const op of ["General/AuthenticatePublisherAccount", "General/LoginPublisherAccountByName"]) {
        const answer = await raw(emulator, op, {
          body: { accountName: "wearer", password: "pw", applicationId: APP_ID },
        });
        expect([answer.status, answer.text]).toEqual([status, body]);
      }
      const answer = await raw(emulator, "General/LoginPublisherAccountById", {
        body: { accountId: emulator.account("wearer").accountId, password: "pw", applicationId: APP_ID },
      });
      expect([answer.status, answer.text]).toEqual([status, body]);
      expect((await raw(emulator, "General/SystemUtcTime")).status).toBe(200);
    },
  );

  it("faultsWithStatus200 sends the envelope with HTTP 200; voidSuccessBody puts a body on void successes", async () => {
    const { post } = await ready({ faults: { faultsWithStatus200: true, voidSuccessBody: '"OK"' } });
    const stored = await post([egv(T, 100)]);
    expect([stored.status, stored.text]).toEqual([200, '"OK"']);
    const duplicate = await post([egv(T, 100)]);
    expect([duplicate.status, codeOf(duplicate)]).toEqual([200, "DuplicateEgvPosted"]);
    expect(emulator.account("wearer").egvs).toHaveLength(1);
  });

  it("refuse: a post holding a named value or ST is InvalidArgument and stores nothing; others pass", async () => {
    const { post } = await ready({ faults: { refuse: { values: [222], stMs: [T - 2 * MINUTE] } } });
    expect(codeOf(await post([egv(T - 5 * MINUTE, 100), egv(T, 222)]))).toBe("InvalidArgument");
    expect(codeOf(await post([egv(T - 2 * MINUTE, 101)]))).toBe("InvalidArgument");
    expect(emulator.account("wearer").egvs).toHaveLength(0);
    expect((await post([egv(T - 5 * MINUTE, 100), egv(T, 223)])).status).toBe(200);
    expect(emulator.account("wearer").egvs.map((e) => e.value)).toEqual([100, 223]);
  });

  it("trickle: the body comes one byte per interval on the emulator's timers, after the padding", async () => {
    const timers = manualTimers();
    emulator = await startShareEmulator({
      knobs: { faults: { trickle: { intervalMs: 5_000, paddingBytes: 3 } } },
      now: () => now,
      timers,
    });
    const body = '{"DateTime":"/Date(1772510706000)/","OffsetMinutes":0}';
    const chunks: string[] = [];
    const response = await fetch(`${emulator.url()}/ShareWebServices/Services/General/SystemUtcTime`);
    expect(response.headers.get("content-length")).toBe(String(body.length + 3));
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    const decoder = new TextDecoder();
    for (let i = 0; i < 3 + body.length; i++) {
      if (i > 0) timers.advance(5_000);
      const { value } = await reader.read();
      chunks.push(decoder.decode(value));
    }
    expect(chunks.slice(0, 4)).toEqual([" ", " ", " ", "{"]);
    expect(chunks.join("")).toBe(`   ${body}`);
    expect((await reader.read()).done).toBe(true);
    expect(timers.pending()).toBe(0);
  });

  it("latency with jitter: delays within ±jitter, the same sequence for the same seed", async () => {
    const delays = async (seed: number) => {
      const timers = manualTimers();
      const asked: number[] = [];
      const spy: Timers = {
        setTimeout: (callback, ms) => {
          asked.push(ms);
          return timers.setTimeout(callback, ms);
        },
        clearTimeout: (handle) => timers.clearTimeout(handle),
      };
      const e = await startShareEmulator({
        knobs: { faults: { latencyMs: 150, latencyJitterMs: 30, seed } },
        timers: spy,
      });
      try {
        for (let i = 0; i < 10; i++) {
          const answer = raw(e, "General/SystemUtcTime");
          while (asked.length <= i) await new Promise((resolve) => setImmediate(resolve));
          timers.advance(200);
          expect((await answer).status).toBe(200);
        }
      } finally {
        await e.close();
      }
      return asked;
    };
    const first = await delays(7);
    expect(first.every((ms) => ms >= 120 && ms <= 180)).toBe(true);
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(await delays(7)).toEqual(first);
  });
});
