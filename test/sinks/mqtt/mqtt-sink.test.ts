/**
 * The MQTT sink and its bridge against a real broker (mosquitto, test/support/mosquitto.ts), driven
 * through the Sink contract as the engine drives it (src/sinks/sink.ts): readings oldest first in
 * chunks, then `end`, with every settle recorded.
 *
 * - With the broker up, a cycle publishes only its newest postable reading and settles everything.
 * - With no broker, `end` settles at once, nothing delivered.
 * - With the broker frozen (SIGSTOP), `end` gives up after the acknowledgement timeout, drops the
 *   connection, and the next cycle does not wait at all; once the broker is back the bridge
 *   publishes the newest reading it was given, and nothing older.
 */
import { afterEach, describe, expect, it } from "vitest";
import { systemTimers } from "../../../src/clock.js";
import { silentLogger } from "../../../src/log.js";
import type { PostableReading, Reading } from "../../../src/readings/reading.js";
import { Secret } from "../../../src/share/secret.js";
import { type BridgeSettings, MqttBridge } from "../../../src/sinks/mqtt/bridge.js";
import { MqttSink } from "../../../src/sinks/mqtt/mqtt-sink.js";
import type { SinkContext } from "../../../src/sinks/sink.js";
import { waitFor } from "../../scenarios/support/child-daemon.js";
import {
  BROKER_PASSWORD,
  BROKER_USER,
  type Broker,
  startBroker,
  type Watcher,
  watch,
} from "../../support/mosquitto.js";

const SERIAL = "SM12345678";
const AT = Date.UTC(2026, 4, 2, 12, 0, 0);
const ACK_TIMEOUT_MS = 400;

let broker: Broker | undefined;
let bridge: MqttBridge | undefined;
const watchers: Watcher[] = [];

afterEach(async () => {
  for (const watcher of watchers.splice(0)) await watcher.close();
  await bridge?.close();
  bridge = undefined;
  await broker?.close();
  broker = undefined;
});

function settings(port: number): BridgeSettings {
  return {
    address: { tls: false, host: "127.0.0.1", port },
    clientId: "sink-test",
    username: BROKER_USER,
    password: new Secret(BROKER_PASSWORD),
    topicPrefix: "sharebridge",
    discoveryPrefix: "homeassistant",
    version: "9.9.9",
    ackTimeoutMs: ACK_TIMEOUT_MS,
    connectTimeoutMs: 1000,
    retryMinMs: 100,
    retryMaxMs: 200,
  };
}

function reading(index: number, glucose: number | undefined): Reading {
  const times = { stMs: AT + index * 300_000, dtMs: AT + index * 300_000, ta: 0, wtMs: AT + index * 300_000 };
  return glucose === undefined
    ? {
        recordType: 4,
        index,
        systemSeconds: index,
        storedGlucose: 5,
        glucose: undefined,
        trend: 8,
        times,
        skip: "special",
      }
    : ({
        recordType: 4,
        index,
        systemSeconds: index,
        storedGlucose: glucose,
        glucose,
        trend: 4,
        times,
        skip: undefined,
      } as PostableReading);
}

interface Settled {
  readonly through: number;
  readonly delivered: number[];
}

function context(settled: Settled[]): SinkContext {
  // Built apart from its type: sink contexts may carry more than this sink uses.
  const made = {
    serial: SERIAL,
    signal: undefined,
    log: silentLogger,
    nowUtcMs: () => AT,
    async settle(through: Reading, delivered: readonly Reading[]) {
      settled.push({ through: through.index, delivered: delivered.map((r) => r.index) });
    },
    notes: undefined,
    saveNotes: async () => undefined,
  };
  return made;
}

/** One cycle through the sink: three chunks, the newest postable reading second to last. */
async function cycle(sink: MqttSink, first: number, settled: Settled[]) {
  const writer = sink.open(context(settled));
  await writer.write([reading(first, 100), reading(first + 1, 101)]);
  await writer.write([reading(first + 2, 102)]);
  await writer.write([reading(first + 3, undefined)]);
  return writer.end();
}

const readingTime = (index: number) => new Date(AT + index * 300_000).toISOString();
const newest = (index: number) => ({
  glucose_mgdl: 102,
  trend: "Flat",
  trend_arrow: "→",
  reading_time: readingTime(index),
  serial: SERIAL,
});

describe("the MQTT sink against mosquitto", () => {
  it("publishes the cycle's newest reading only, and settles every reading given", async () => {
    broker = await startBroker();
    bridge = new MqttBridge(settings(broker.port), { log: silentLogger, timers: systemTimers });
    const sink = new MqttSink(bridge);
    const watcher = await watch(broker, ["sharebridge/#"]);
    watchers.push(watcher);
    bridge.useSerial(SERIAL);
    await waitFor(() => bridge?.online === true, "the bridge online", 10_000);

    const settled: Settled[] = [];
    expect(await cycle(sink, 10, settled)).toEqual({ delivered: 1, requests: 1 });
    expect(settled).toEqual([{ through: 13, delivered: [12] }]);
    await waitFor(() => watcher.last(`sharebridge/${SERIAL}/reading`) !== undefined, "the reading", 5000);
    expect(
      watcher.messages.filter((m) => m.topic.endsWith("/reading")).map((m) => JSON.parse(m.payload)),
    ).toEqual([newest(12)]);
    expect(watcher.last(`sharebridge/${SERIAL}/availability`)).toBe("online");
  });

  it("backfilled readings after the cycle's EGVs are older: the newest by time is published", async () => {
    broker = await startBroker();
    bridge = new MqttBridge(settings(broker.port), { log: silentLogger, timers: systemTimers });
    const sink = new MqttSink(bridge);
    const watcher = await watch(broker, ["sharebridge/#"]);
    watchers.push(watcher);
    bridge.useSerial(SERIAL);
    await waitFor(() => bridge?.online === true, "the bridge online", 10_000);

    const settled: Settled[] = [];
    const writer = sink.open(context(settled));
    await writer.write([reading(10, 100), reading(12, 102)]);
    // The engine hands type 18 after type 4 (sink.ts): a gap closed from the backfill, index 11.
    await writer.write([{ ...reading(11, 101), recordType: 18 }]);
    expect(await writer.end()).toEqual({ delivered: 1, requests: 1 });
    expect(settled).toEqual([{ through: 11, delivered: [12] }]);
    await waitFor(() => watcher.last(`sharebridge/${SERIAL}/reading`) !== undefined, "the reading", 5000);
    expect(
      watcher.messages.filter((m) => m.topic.endsWith("/reading")).map((m) => JSON.parse(m.payload)),
    ).toEqual([newest(12)]);
  });

  it("with no broker, settles at once and delivers nothing", async () => {
    // A port where nothing listens: the broker's, after it stopped.
    broker = await startBroker();
    await broker.stop();
    bridge = new MqttBridge(settings(broker.port), { log: silentLogger, timers: systemTimers });
    const sink = new MqttSink(bridge);
    const settled: Settled[] = [];
    expect(await cycle(sink, 10, settled)).toEqual({ delivered: 0, requests: 0 });
    expect(settled).toEqual([{ through: 13, delivered: [] }]);
    expect(bridge.online).toBe(false);
  });

  it("a frozen broker costs one acknowledgement timeout, then nothing; back, it gets the newest reading only", async () => {
    broker = await startBroker();
    bridge = new MqttBridge(settings(broker.port), { log: silentLogger, timers: systemTimers });
    const sink = new MqttSink(bridge);
    bridge.useSerial(SERIAL);
    await waitFor(() => bridge?.online === true, "the bridge online", 10_000);
    broker.pause();

    const settled: Settled[] = [];
    const started = performance.now();
    expect(await cycle(sink, 10, settled)).toEqual({ delivered: 0, requests: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 50);
    expect(bridge.online).toBe(false);
    // The connection is gone: the next cycles do not try, let alone wait.
    expect(await cycle(sink, 20, settled)).toEqual({ delivered: 0, requests: 0 });
    expect(await cycle(sink, 30, settled)).toEqual({ delivered: 0, requests: 0 });
    expect(settled).toEqual([
      { through: 13, delivered: [] },
      { through: 23, delivered: [] },
      { through: 33, delivered: [] },
    ]);

    broker.resume();
    await waitFor(() => bridge?.online === true, "the bridge back online", 15_000);
    const watcher = await watch(broker, ["sharebridge/#"]);
    watchers.push(watcher);
    const reading = `sharebridge/${SERIAL}/reading`;
    await waitFor(() => watcher.last(reading) === JSON.stringify(newest(32)), "the newest reading", 5000);
    // The frozen broker may still take in the publish that was under way when it froze (cycle 10);
    // of what happened while it was away (cycle 20) nothing is published, and the newest comes last.
    const seen = watcher.messages
      .filter((m) => m.topic === reading)
      .map((m) => JSON.parse(m.payload).reading_time);
    expect(seen.filter((time) => time !== readingTime(12))).toEqual([readingTime(32)]);
    const fresh = await watch(broker, [reading]);
    watchers.push(fresh);
    await waitFor(() => fresh.messages.length > 0, "the retained reading", 5000);
    expect(fresh.messages).toEqual([{ topic: reading, payload: JSON.stringify(newest(32)), retain: true }]);
  });
});
