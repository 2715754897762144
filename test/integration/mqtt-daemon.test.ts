/**
 * `sharebridge run` with MQTT, as a real process, against a real broker (Debian's mosquitto with a
 * password file and a TLS listener, test/support/mosquitto.ts), the receiver emulator on TCP (a new
 * reading every 2 s) and the Share emulator, all on real time:
 *
 * - the discovery configs exactly, the newest reading and the status as retained state, over TLS
 *   with a password; `mqtt forget` clears them; no password in any log line;
 * - the broker stopped (its retained messages gone with it) and started again: Share is not held
 *   back meanwhile, and what is published on reconnect is the newest reading, nothing older;
 * - SIGKILL of the daemon: the broker publishes the last will, availability "offline";
 * - a frozen broker (SIGSTOP): every reading still reaches Share within seconds;
 * - a refused login and an untrusted certificate: logged as such, Share unaffected.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { ReadBatteryLevel } from "../../src/receiver/commands.js";
import { Receiver } from "../../src/receiver/receiver.js";
import { trendName } from "../../src/share/trend.js";
import { type ChildDaemon, MAIN, spawnDaemon, waitFor } from "../scenarios/support/child-daemon.js";
import { expectedDiscovery } from "../sinks/mqtt/expected-discovery.js";
import {
  BROKER_PASSWORD,
  BROKER_USER,
  type Broker,
  startBroker,
  type Watcher,
  watch,
} from "../support/mosquitto.js";

const run = promisify(execFile);
const USER = "wearer";
const PASSWORD = "sh4re-pa55word!";
const INTERVAL_SECONDS = 2;
const VERSION = "0.1.0";
const ARROWS: Record<string, string> = {
  DoubleUp: "⇈",
  SingleUp: "↑",
  FortyFiveUp: "↗",
  Flat: "→",
  FortyFiveDown: "↘",
  SingleDown: "↓",
  DoubleDown: "⇊",
};

interface Stack {
  readonly dir: string;
  readonly broker: Broker;
  readonly receiver: ReceiverEmulator;
  readonly share: ShareEmulator;
  readonly device: string;
  /** Host ms at which Share stored each reading, by ST. */
  readonly storedAt: Map<number, number>;
  readonly daemons: ChildDaemon[];
  readonly watchers: Watcher[];
}

let stack: Stack | undefined;

afterEach(async () => {
  const s = stack;
  stack = undefined;
  if (s === undefined) return;
  for (const watcher of s.watchers) await watcher.close().catch(() => undefined);
  for (const daemon of s.daemons) {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill("SIGKILL");
    await daemon.exited;
  }
  await s.broker.close();
  await s.receiver.close();
  await s.share.close();
  await rm(s.dir, { recursive: true, force: true });
});

async function setUp(): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-mqtt-"));
  const broker = await startBroker();
  const receiver = createReceiverEmulator({
    profile: "g4",
    seed: 31,
    days: 1,
    live: { intervalSeconds: INTERVAL_SECONDS },
  });
  const listener = await receiver.listenTcp("127.0.0.1", 0);
  const share = await startShareEmulator({ accounts: [{ name: USER, password: PASSWORD, region: "us" }] });
  const storedAt = new Map<number, number>();
  const storeEgv = share.state.storeEgv.bind(share.state);
  share.state.storeEgv = (account, egv) => {
    const stored = storeEgv(account, egv);
    if (stored) storedAt.set(egv.stMs, Date.now());
    return stored;
  };
  await writeFile(join(dir, "share-password"), `${PASSWORD}\n`, { mode: 0o600 });
  stack = {
    dir,
    broker,
    receiver,
    share,
    device: `tcp://127.0.0.1:${listener.port}`,
    storedAt,
    daemons: [],
    watchers: [],
  };
  return stack;
}

/** Writes a configuration (its own state directory) and starts `sharebridge run` with it. */
async function startDaemon(
  s: Stack,
  name: string,
  mqtt: Record<string, unknown>,
): Promise<{ daemon: ChildDaemon; config: string }> {
  const config = join(s.dir, `${name}.json`);
  await writeFile(
    config,
    JSON.stringify({
      device: s.device,
      stateDir: join(s.dir, `state-${name}`),
      readingIntervalSeconds: INTERVAL_SECONDS,
      backfillHours: 1,
      clock: { assumeSynchronized: true },
      share: { server: s.share.url("us"), username: USER, passwordFile: join(s.dir, "share-password") },
      mqtt,
    }),
  );
  const daemon = spawnDaemon(["run", "--config", config]);
  s.daemons.push(daemon);
  return { daemon, config };
}

const plain = (s: Stack) => ({
  url: `mqtt://127.0.0.1:${s.broker.port}`,
  username: BROKER_USER,
  passwordFile: s.broker.passwordFile,
});

async function watcher(s: Stack, filters: string[]): Promise<Watcher> {
  const w = await watch(s.broker, filters);
  s.watchers.push(w);
  return w;
}

function egvs(s: Stack) {
  return s.share.account(USER).egvs;
}

function newestWt(s: Stack): number {
  return egvs(s).reduce((max, e) => Math.max(max, e.wtMs), Number.NEGATIVE_INFINITY);
}

/** The reading payload Share's copy of a reading calls for. */
function expectedReading(s: Stack, readingTime: string) {
  const egv = egvs(s).find((e) => new Date(e.wtMs).toISOString() === readingTime);
  if (egv === undefined) return undefined;
  const trend = trendName(egv.trend);
  return {
    glucose_mgdl: egv.value,
    trend,
    trend_arrow: ARROWS[trend],
    reading_time: readingTime,
    serial: s.receiver.serial,
  };
}

async function batteryLevel(receiver: ReceiverEmulator): Promise<number> {
  const link = await Receiver.open(receiver.opener());
  try {
    return await link.call(ReadBatteryLevel);
  } finally {
    await link.close();
  }
}

const SENTINEL = "sharebridge/sentinel";

/**
 * Resolves once everything retained for `w` (subscribed to SENTINEL too) has arrived: the broker
 * sends a subscription's retained messages before anything published after it.
 */
async function settled(s: Stack, w: Watcher): Promise<void> {
  const sentinel = `sentinel-${w.messages.length}`;
  const publisher = await mqtt.connectAsync({
    host: "127.0.0.1",
    port: s.broker.port,
    username: BROKER_USER,
    password: BROKER_PASSWORD,
    reconnectPeriod: 0,
  });
  await publisher.publishAsync(SENTINEL, sentinel, { qos: 1 });
  await publisher.endAsync();
  await waitFor(() => w.messages.some((m) => m.payload === sentinel), "the sentinel", 5000);
}

const LOG_WAIT_MS = 20_000;

describe("sharebridge run with MQTT against mosquitto", () => {
  it("over TLS with a password: exact discovery, the newest reading and the status retained; mqtt forget clears them", {
    timeout: 60_000,
  }, async () => {
    const s = await setUp();
    const { daemon, config } = await startDaemon(s, "tls", {
      url: `mqtts://localhost:${s.broker.tlsPort}`,
      username: BROKER_USER,
      passwordFile: s.broker.passwordFile,
      caFile: s.broker.caFile,
    });
    const serial = s.receiver.serial;
    await waitFor(
      () => daemon.lines.some((l) => l.msg === "MQTT broker connected"),
      `the broker connected (${daemon.stderr()})`,
      LOG_WAIT_MS,
    );
    await waitFor(() => egvs(s).length >= 12, "the backfill on Share", LOG_WAIT_MS);
    const w = await watcher(s, ["homeassistant/#", "sharebridge/#"]);
    const readingTopic = `sharebridge/${serial}/reading`;
    const statusTopic = `sharebridge/${serial}/status`;
    await waitFor(
      () => {
        const reading = w.last(readingTopic);
        const status = w.last(statusTopic);
        return (
          reading !== undefined &&
          expectedReading(s, JSON.parse(reading).reading_time) !== undefined &&
          status !== undefined &&
          JSON.parse(status).battery_percent !== null &&
          JSON.parse(status).readings_waiting === 0
        );
      },
      "a reading on Share, and the status with the battery",
      LOG_WAIT_MS,
    );

    const discovery = Object.fromEntries(
      w.messages
        .filter((m) => m.topic.startsWith("homeassistant/"))
        .map((m) => [m.topic, JSON.parse(m.payload)]),
    );
    expect(discovery).toEqual(expectedDiscovery(serial, VERSION));
    const reading = JSON.parse(w.last(readingTopic) as string);
    expect(reading).toEqual(expectedReading(s, reading.reading_time));
    const status = JSON.parse(w.last(statusTopic) as string);
    expect(status).toEqual({
      share_status: "ok",
      waiting_for: null,
      readings_waiting: 0,
      last_post: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      battery_percent: await batteryLevel(s.receiver),
      serial,
    });
    expect(w.last(`sharebridge/${serial}/availability`)).toBe("online");

    // A clean stop says so.
    daemon.child.kill("SIGTERM");
    expect((await daemon.exited).code).toBe(0);
    await waitFor(() => w.last(`sharebridge/${serial}/availability`) === "offline", "offline", 5000);
    const logs = JSON.stringify(daemon.lines) + daemon.stderr();
    expect(logs).not.toContain(BROKER_PASSWORD);
    expect(logs).not.toContain(PASSWORD);

    const forget = await run(process.execPath, [MAIN, "mqtt", "forget", "--config", config], {
      encoding: "utf8",
    });
    expect(forget.stdout).toBe(`Cleared 10 topics for ${serial}: Home Assistant removes their sensors.\n`);
    const after = await watcher(s, ["homeassistant/#", `sharebridge/${serial}/#`, SENTINEL]);
    await settled(s, after);
    expect(after.messages.filter((m) => m.topic !== SENTINEL)).toEqual([]);
  });

  it("broker stopped and started again: Share goes on meanwhile; on reconnect, the newest reading and nothing older", {
    timeout: 60_000,
  }, async () => {
    const s = await setUp();
    const { daemon } = await startDaemon(s, "restart", plain(s));
    const serial = s.receiver.serial;
    await waitFor(
      () => daemon.lines.some((l) => l.msg === "MQTT broker connected"),
      "the broker connected",
      LOG_WAIT_MS,
    );
    await waitFor(() => egvs(s).length >= 13, "live readings on Share", LOG_WAIT_MS);

    await s.broker.stop();
    const stoppedAt = Date.now();
    const before = egvs(s).length;
    // Share goes on: three more readings, each stored within seconds of being taken.
    await waitFor(() => egvs(s).length >= before + 3, "readings on Share without the broker", LOG_WAIT_MS);
    const during = egvs(s).filter((e) => e.wtMs > stoppedAt);
    expect(during.length).toBeGreaterThanOrEqual(2);
    for (const egv of during) expect((s.storedAt.get(egv.stMs) as number) - egv.wtMs).toBeLessThan(5000);

    const newestAtRestart = newestWt(s);
    await s.broker.start();
    const w = await watcher(s, ["homeassistant/#", "sharebridge/#"]);
    const readingTopic = `sharebridge/${serial}/reading`;
    await waitFor(
      () => w.last(`sharebridge/${serial}/availability`) === "online",
      "the daemon back online",
      40_000,
    );
    const readings = w.messages.filter((m) => m.topic === readingTopic).map((m) => JSON.parse(m.payload));
    expect(readings.length).toBeGreaterThanOrEqual(1);
    await waitFor(
      () => readings.every((r) => expectedReading(s, r.reading_time) !== undefined),
      "the published readings on Share",
      5000,
    );
    // Nothing of the outage's history: every reading published is the newest at the time or later.
    for (const reading of readings)
      expect(Date.parse(reading.reading_time)).toBeGreaterThanOrEqual(newestAtRestart);
    expect(readings.map((r) => expectedReading(s, r.reading_time))).toEqual(readings);
    // The broker forgot everything at its restart: all of it was published again.
    const fresh = await watcher(s, ["homeassistant/#", "sharebridge/#"]);
    await settled(s, fresh);
    const retained = new Set(fresh.messages.filter((m) => m.retain).map((m) => m.topic));
    expect([...retained].sort()).toEqual(
      [
        ...Object.keys(expectedDiscovery(serial, VERSION)),
        readingTopic,
        `sharebridge/${serial}/status`,
        `sharebridge/${serial}/availability`,
      ].sort(),
    );
    expect(daemon.lines.filter((l) => l.msg === "MQTT broker connection lost; reconnecting").length).toBe(1);
  });

  it("SIGKILL: the broker publishes the last will, availability offline", { timeout: 40_000 }, async () => {
    const s = await setUp();
    const { daemon } = await startDaemon(s, "kill", plain(s));
    const availability = `sharebridge/${s.receiver.serial}/availability`;
    const w = await watcher(s, [availability]);
    await waitFor(() => w.last(availability) === "online", "online", LOG_WAIT_MS);
    daemon.child.kill("SIGKILL");
    expect((await daemon.exited).signal).toBe("SIGKILL");
    await waitFor(() => w.last(availability) === "offline", "the last will", 10_000);
    const fresh = await watcher(s, [availability]);
    await waitFor(() => fresh.messages.length > 0, "the retained availability", 5000);
    expect(fresh.messages).toEqual([{ topic: availability, payload: "offline", retain: true }]);
  });

  it("a frozen broker (SIGSTOP) does not delay Share: every reading is on Share within seconds", {
    timeout: 60_000,
  }, async () => {
    const s = await setUp();
    const { daemon } = await startDaemon(s, "frozen", plain(s));
    await waitFor(
      () => daemon.lines.some((l) => l.msg === "MQTT broker connected"),
      "the broker connected",
      LOG_WAIT_MS,
    );
    await waitFor(() => egvs(s).length >= 13, "live readings on Share", LOG_WAIT_MS);
    s.broker.pause();
    const frozenAt = Date.now();
    await waitFor(
      () => egvs(s).filter((e) => e.wtMs > frozenAt).length >= 5,
      "five readings while frozen",
      30_000,
    );
    const during = egvs(s).filter((e) => e.wtMs > frozenAt);
    // Normally well under a second; blocked on the broker it would be the connect timeout (10 s)
    // or the keep-alive (45 s).
    for (const egv of during) expect((s.storedAt.get(egv.stMs) as number) - egv.wtMs).toBeLessThan(5000);
    expect(
      daemon.lines.some((l) => l.msg === "the MQTT broker did not acknowledge in time; reconnecting"),
    ).toBe(true);
    s.broker.resume();
  });

  it("a refused login and an untrusted certificate are logged as such; Share is unaffected", {
    timeout: 60_000,
  }, async () => {
    const s = await setUp();
    const wrong = join(s.dir, "wrong-password");
    await writeFile(wrong, "not-the-password\n", { mode: 0o600 });
    const refused = await startDaemon(s, "refused", { ...plain(s), passwordFile: wrong });
    const untrusted = await startDaemon(s, "untrusted", {
      url: `mqtts://localhost:${s.broker.tlsPort}`,
      username: BROKER_USER,
      passwordFile: s.broker.passwordFile,
    });
    const logged = (d: ChildDaemon, msg: string) => d.lines.find((l) => l.msg === msg);
    await waitFor(
      () => logged(refused.daemon, "the MQTT broker refused the login; retrying") !== undefined,
      "the refusal",
      LOG_WAIT_MS,
    );
    await waitFor(
      () => logged(untrusted.daemon, "cannot reach the MQTT broker; retrying") !== undefined,
      "the TLS failure",
      LOG_WAIT_MS,
    );
    expect(logged(refused.daemon, "the MQTT broker refused the login; retrying")?.["reason"]).toBe(
      "the broker refused the login (Connection refused: Not authorized): check mqtt.username and the password",
    );
    expect(String(logged(untrusted.daemon, "cannot reach the MQTT broker; retrying")?.["reason"])).toMatch(
      /self[- ]signed certificate|unable to verify|unable to get local issuer certificate/,
    );
    const start = Date.now();
    await waitFor(
      () => egvs(s).filter((e) => e.wtMs > start).length >= 2,
      "live readings on Share",
      LOG_WAIT_MS,
    );
    for (const { daemon } of [refused, untrusted]) {
      expect(daemon.lines.some((l) => l.msg === "MQTT broker connected")).toBe(false);
      const text = JSON.stringify(daemon.lines) + daemon.stderr();
      expect(text).not.toContain("not-the-password");
      expect(text).not.toContain(BROKER_PASSWORD);
    }
  });
});
