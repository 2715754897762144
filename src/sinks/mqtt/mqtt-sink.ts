/**
 * The MQTT sink (issue 14): each cycle's newest reading goes to the broker for Home Assistant
 * (bridge.ts), with a cursor of its own in the state file (`receivers[serial].sinks.mqtt`).
 *
 * MQTT carries state, not history: of the readings a cycle hands over, only the newest postable one
 * (by its true time: backfilled readings come after the cycle's EGVs, yet are older) is published; the others are settled as not delivered, with it. So a first run or a catch-up after
 * an outage publishes one reading, not a day of them, and Home Assistant's history stays true to
 * when each value was current.
 *
 * The sink never holds back Share, whatever the broker does: `write` only notes the readings (the
 * engine's channel to this sink never fills), and `end` publishes once — at once "not delivered"
 * when the broker is away, else within the acknowledgement timeout — then settles everything it was
 * given. It throws nothing of its own: a cycle never fails because of the broker.
 */
import { isPostable, type PostableReading, type Reading } from "../../readings/reading.js";
import type { Sink, SinkContext, SinkResult, SinkWriter } from "../sink.js";
import type { MqttBridge } from "./bridge.js";

export const MQTT_SINK_NAME = "mqtt";

export class MqttSink implements Sink {
  readonly name = MQTT_SINK_NAME;
  readonly #bridge: MqttBridge;

  constructor(bridge: MqttBridge) {
    this.#bridge = bridge;
  }

  open(context: SinkContext): SinkWriter {
    this.#bridge.useSerial(context.serial);
    return new MqttWriter(this.#bridge, context);
  }
}

class MqttWriter implements SinkWriter {
  readonly #bridge: MqttBridge;
  readonly #context: SinkContext;
  #last: Reading | undefined;
  #newest: PostableReading | undefined;

  constructor(bridge: MqttBridge, context: SinkContext) {
    this.#bridge = bridge;
    this.#context = context;
  }

  async write(readings: readonly Reading[]): Promise<void> {
    for (const reading of readings) {
      this.#last = reading;
      // Newest by true time, not by order: backfilled readings (type 18) follow the EGVs (sink.ts).
      if (
        isPostable(reading) &&
        (this.#newest === undefined || reading.times.wtMs >= this.#newest.times.wtMs)
      )
        this.#newest = reading;
    }
  }

  async end(): Promise<SinkResult> {
    const last = this.#last;
    if (last === undefined) return { delivered: 0, requests: 0 };
    const newest = this.#newest;
    let result: "acknowledged" | "failed" | "offline" = "offline";
    if (newest !== undefined) {
      try {
        result = await this.#bridge.publishReading(this.#context.serial, newest);
      } catch (error) {
        this.#context.log.warn({ err: error }, "publishing the reading to MQTT failed");
        result = "failed";
      }
    }
    const delivered = result === "acknowledged" && newest !== undefined ? [newest] : [];
    await this.#context.settle(last, delivered);
    return { delivered: delivered.length, requests: result === "offline" ? 0 : 1 };
  }
}
