/**
 * Alerts against a local HTTP receiver: each condition starts and clears once, a flapping one does
 * not storm, a restart neither repeats nor forgets, failures are retried with back-off, and a dead
 * webhook does not delay posting (the daemon and both emulators, on fake time).
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startAlerts } from "../../src/app/alerts.js";
import { silentLogger } from "../../src/log.js";
import {
  ALERT_GAP_MS,
  ALERT_MEMORY_FILE,
  ALERT_MEMORY_SCHEMA,
  type AlertMemory,
  AlertMonitor,
  CHECK_EVERY_MS,
} from "../../src/observe/alerts/alert-monitor.js";
import { type AlertMessage, WebhookSender } from "../../src/observe/alerts/webhook.js";
import type { Reading } from "../../src/readings/reading.js";
import type { DaemonSnapshot } from "../../src/sync/daemon-status.js";
import { StateStore } from "../../src/sync/state-store.js";
import { logSink } from "../share/support/log-sink.js";
import { cli } from "../support/cli.js";
import { type DaemonBench, daemonBench, lossReport } from "../sync/support/daemon-bench.js";
import { ManualTimers } from "./support/manual-timers.js";
import { healthySnapshot, T } from "./support/snapshot.js";

const MINUTE = 60_000;
const TOPIC = "secret-topic-4f1c9e";

interface Received {
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** A local webhook: answers with `answer()` (a status, or "hang": never answers). */
async function receiver(answer: (n: number) => number | "hang" = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      const status = answer(received.length);
      if (status !== "hang") response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${TOPIC}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let cleanup: (() => Promise<unknown>)[] = [];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-alerts-"));
});
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
  await rm(dir, { recursive: true, force: true });
});

/** A monitor over a snapshot the test changes, sending JSON to `url` on manual timers. */
function monitorOver(url: string, snapshot: { current: DaemonSnapshot }, memory?: StateStore<AlertMemory>) {
  const timers = new ManualTimers();
  const sender = new WebhookSender({ url, format: "json", timers, log: silentLogger });
  const monitor = new AlertMonitor({
    snapshot: () => snapshot.current,
    send: (message) => sender.enqueue(message),
    afterMinutes: 20,
    timers,
    log: silentLogger,
    memory,
  });
  cleanup.push(async () => sender.close());
  return { monitor, sender, timers };
}

function reading(index: number): Reading {
  return {
    recordType: 4,
    index,
    systemSeconds: 500_000_000 + index,
    storedGlucose: 120,
    glucose: 120,
    trend: 4,
    times: { stMs: T, dtMs: T, ta: 0, wtMs: T },
    skip: undefined,
  };
}

const states = (received: readonly Received[]) =>
  received.map((r) => {
    const body = JSON.parse(r.body) as { condition: string; state: string };
    return `${body.condition} ${body.state}`;
  });

describe("alert conditions", () => {
  it("each condition starts once and clears once; no message names the serial", async () => {
    const hook = await receiver();
    cleanup.push(hook.close);
    const s = { current: healthySnapshot() };
    const { monitor, sender } = monitorOver(hook.url, s);
    let now = T;
    /** `minutes` of checks every 30 s, with the snapshot `change`d (time moves, readings keep coming). */
    const run = async (minutes: number, change: (nowMs: number) => Partial<DaemonSnapshot>) => {
      for (let t = 0; t < minutes * MINUTE; t += CHECK_EVERY_MS) {
        now += CHECK_EVERY_MS;
        s.current = { ...s.current, nowMs: now, ...change(now) };
        await monitor.check();
      }
      await sender.idle();
    };
    const healthy = (nowMs: number): Partial<DaemonSnapshot> => ({
      phase: "idle",
      waitingFor: undefined,
      lastPostUtcMs: nowMs - 1000,
      lastSuccessAtMs: nowMs,
      lastReading: { index: 1, systemSeconds: 1, utcMs: nowMs - 2000, glucose: 120, trend: 4 },
      backlog: 0,
    });
    await run(10, healthy);
    // Share stops answering: the receiver's readings go on, none reaches Share.
    const postedAt = now;
    await run(45, (nowMs) => ({
      ...healthy(nowMs),
      phase: "waiting-for-share",
      waitingFor: "Share to answer (HTTP 503)",
      lastPostUtcMs: postedAt,
      backlog: Math.floor((nowMs - postedAt) / 300_000),
    }));
    await run(5, healthy);
    // The password refused for 25 min: uploads stop too, but the login's alert is the one that says so.
    const refusedAt = now;
    await run(25, (nowMs) => ({
      ...healthy(nowMs),
      phase: "waiting-for-operator",
      lastPostUtcMs: refusedAt,
      shareLogin: { state: "credentials-rejected", sinceMs: refusedAt },
    }));
    await run(5, (nowMs) => ({ ...healthy(nowMs), shareLogin: { state: "closed" } }));
    const lastSuccess = now;
    await run(30, () => ({
      phase: "waiting-for-receiver",
      waitingFor: "a receiver",
      lastSuccessAtMs: lastSuccess,
    }));
    await run(5, healthy);
    const battery = (percent: number) => (nowMs: number) => ({
      ...healthy(nowMs),
      battery: { serial: "SM12345678", percent, state: "not-charging", atMs: nowMs },
    });
    await run(5, battery(15));
    await run(5, battery(22)); // between the two thresholds: still low
    await run(5, battery(30));
    monitor.noteOutcome({
      serial: "SM12345678",
      reading: reading(7),
      outcome: "quarantined",
      fault: "InvalidArgument",
      atMs: now,
    });
    await run(5, healthy);
    monitor.noteOutcome({ serial: "SM12345678", reading: reading(7), outcome: "stored", atMs: now });
    await run(5, healthy);

    expect(states(hook.received)).toEqual([
      "uploads-stopped started",
      "uploads-stopped cleared",
      "share-login started",
      "share-login cleared",
      "receiver-missing started",
      "receiver-missing cleared",
      "receiver-battery started",
      "receiver-battery cleared",
      "reading-quarantined started",
      "reading-quarantined cleared",
    ]);
    const first = JSON.parse(hook.received[0]?.body ?? "{}") as Record<string, unknown>;
    expect(first).toEqual({
      title: "sharebridge: uploads to Share stopped",
      message: `No reading has reached Dexcom Share for 20 min (since ${new Date(postedAt).toISOString().slice(11, 16)} UTC). 4 readings waiting on the receiver. Followers see no new readings. Check the status page.`,
      condition: "uploads-stopped",
      state: "started",
      at: new Date(postedAt + 20 * MINUTE).toISOString(),
    });
    for (const r of hook.received) expect(r.body).not.toContain("SM12345678");
  });

  it("a flapping condition: one alert an hour at most, each with its all-clear", async () => {
    const hook = await receiver();
    cleanup.push(hook.close);
    const s = { current: healthySnapshot() };
    const { monitor, sender } = monitorOver(hook.url, s);
    // Share's login refused and accepted in turn, every 30 s, for 3 hours: 360 changes.
    for (let i = 0; i < 360; i++) {
      const nowMs = T + i * CHECK_EVERY_MS;
      s.current = {
        ...s.current,
        nowMs,
        shareLogin: i % 2 === 0 ? { state: "credentials-rejected", sinceMs: nowMs } : { state: "closed" },
      };
      await monitor.check();
    }
    await sender.idle();
    const at = hook.received
      .map((r) => JSON.parse(r.body) as { at: string; state: string })
      .map((b) => `${b.state} +${(Date.parse(b.at) - T) / MINUTE} min`);
    expect(at).toEqual([
      "started +0 min",
      "cleared +0.5 min",
      "started +60 min",
      "cleared +60.5 min",
      "started +120 min",
      "cleared +120.5 min",
    ]);
    expect(ALERT_GAP_MS).toBe(60 * MINUTE);
  });

  it("a restart neither repeats an alert nor forgets its all-clear (alerts.json)", async () => {
    const hook = await receiver();
    cleanup.push(hook.close);
    const refused = {
      current: healthySnapshot({ shareLogin: { state: "credentials-rejected", sinceMs: T } }),
    };
    const first = monitorOver(
      hook.url,
      refused,
      await StateStore.open(dir, ALERT_MEMORY_SCHEMA, { name: ALERT_MEMORY_FILE }),
    );
    await first.monitor.check();
    await first.sender.idle();
    // The next process, the condition still there: nothing new; then it clears.
    const second = monitorOver(
      hook.url,
      refused,
      await StateStore.open(dir, ALERT_MEMORY_SCHEMA, { name: ALERT_MEMORY_FILE }),
    );
    await second.monitor.check();
    refused.current = healthySnapshot({ nowMs: T + MINUTE, shareLogin: { state: "closed" } });
    await second.monitor.check();
    await second.sender.idle();
    expect(states(hook.received)).toEqual(["share-login started", "share-login cleared"]);
  });
});

describe("alert delivery", () => {
  it("ntfy style; failures retried with back-off on the timers; the topic never logged", async () => {
    const hook = await receiver((n) => (n <= 2 ? 500 : 200));
    cleanup.push(hook.close);
    const timers = new ManualTimers();
    const logs = logSink();
    const sender = new WebhookSender({
      url: hook.url,
      format: "ntfy",
      timers,
      log: logs.log,
      retryDelaysMs: [30_000, 60_000],
    });
    const message: AlertMessage = {
      condition: "uploads-stopped",
      state: "started",
      title: "sharebridge: uploads to Share stopped",
      message: "No reading …",
      atMs: T,
    };
    sender.enqueue(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hook.received).toHaveLength(1);
    expect(timers.waiting()).toEqual([30_000]);
    await timers.advance(30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hook.received).toHaveLength(2);
    expect(timers.waiting()).toEqual([60_000]);
    await timers.advance(60_000);
    await sender.idle();
    expect(hook.received).toHaveLength(3);
    expect(hook.received[2]?.headers).toMatchObject({
      title: "sharebridge: uploads to Share stopped",
      priority: "high",
      tags: "warning",
      "content-type": "text/plain; charset=utf-8",
    });
    expect(hook.received[2]?.body).toBe("No reading …");
    const host = new URL(hook.url).host;
    expect(logs.lines().map((l) => l["msg"])).toEqual([
      `alert not delivered yet, retrying: the alert webhook at ${host} answered HTTP 500 [ALERT_UNDELIVERED]`,
      `alert not delivered yet, retrying: the alert webhook at ${host} answered HTTP 500 [ALERT_UNDELIVERED]`,
      "alert sent",
    ]);
    expect(logs.text()).not.toContain(TOPIC);
  });

  it("a dead webhook does not delay posting: the daemon posts every reading while an alert hangs", async () => {
    const hook = await receiver(() => "hang");
    cleanup.push(hook.close);
    const b: DaemonBench = await daemonBench();
    cleanup.push(() => b.close());
    b.config = { ...b.config, alerts: { webhook: hook.url, format: "ntfy", afterMinutes: 20 } };
    const { daemon, system } = await b.daemon();
    const timers = new ManualTimers();
    const alerts = await startAlerts(system, daemon, { timers });
    cleanup.push(async () => alerts?.stop());
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    cleanup.push(async () => {
      controller.abort();
      await running;
    });
    const start = b.now;
    await b.runWhile(() => b.stored().length === 0);
    b.share.setOutage(true);
    const outageAt = b.now;
    let checks = 0;
    const checkNow = () => {
      void alerts?.monitor.check();
      checks++;
    };
    await b.runWhile(() => {
      checkNow();
      return b.now < outageAt + 40 * MINUTE;
    });
    // (No real waiting while the daemon runs: its fake time would race on without the checks.)
    b.share.setOutage(false);
    await b.runWhile(() => {
      checkNow();
      return b.now < outageAt + 3 * 60 * MINUTE;
    });
    controller.abort();
    await running;
    const report = lossReport(b, start - 24 * 60 * MINUTE);
    expect(report.missing).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.notYetPosted.length).toBeLessThanOrEqual(1);
    expect(daemon.snapshot().backlog).toBe(0);
    // The alert went out and hangs there, unanswered; the all-clear waits behind it, the sync never did.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hook.received.map((r) => r.headers["title"])).toEqual(["sharebridge: uploads to Share stopped"]);
    expect(checks).toBeGreaterThan(100);
  }, 60_000);
});

describe("sharebridge alerts test", () => {
  it("sends one message and says what the webhook answered; exit 11 when it refuses", async () => {
    const hook = await receiver((n) => (n === 1 ? 200 : 403));
    cleanup.push(hook.close);
    const config = join(dir, "config.json");
    await writeFile(
      config,
      JSON.stringify({ stateDir: join(dir, "state"), alerts: { webhook: hook.url, format: "json" } }),
    );
    const ok = await cli(["alerts", "test", "--config", config], undefined, { clock: { now: () => T } });
    const host = new URL(hook.url).host;
    expect(ok).toEqual({ code: 0, stdout: `sent a test alert to ${host} (json): HTTP 200\n`, stderr: "" });
    expect(JSON.parse(hook.received[0]?.body ?? "{}")).toEqual({
      title: "sharebridge: test alert",
      message: "This is a test from sharebridge: alerts reach this device.",
      condition: "test",
      state: "test",
      at: new Date(T).toISOString(),
    });
    const refused = await cli(["alerts", "test", "--config", config], undefined, { clock: { now: () => T } });
    expect(refused.code).toBe(11);
    expect(refused.stderr).toContain(`the alert webhook at ${host} answered HTTP 403 [ALERT_UNDELIVERED]`);
    expect(refused.stderr).not.toContain(TOPIC);
    await writeFile(config, JSON.stringify({ stateDir: join(dir, "state") }));
    expect((await cli(["alerts", "test", "--config", config])).code).toBe(2);
  });
});
