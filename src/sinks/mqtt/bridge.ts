/**
 * What Home Assistant sees of one receiver, kept current on the broker: the newest reading, the
 * uploader's status, the discovery configs and the availability (topics.ts, payloads.ts,
 * discovery.ts). State, not history: on every connect the bridge publishes what is current — the
 * newest reading it was given, the status as it is now — and nothing of what happened while the
 * broker was away.
 *
 *   sink (each cycle) ──newest reading──┐
 *   status watch (every 10 s) ──status──┼──► bridge ──► connection (connection.ts) ──► broker
 *   connect ──► discovery, reading, status, "online"
 *
 * The connection belongs to one serial: its last will is that receiver's availability "offline".
 * When the daemon meets another receiver (a swap without receiver.serial), the bridge says "offline"
 * for the old one, and connects again with the new one's will.
 */
import type { TimerHandle, Timers } from "../../clock.js";
import type { Logger } from "../../log.js";
import type { PostableReading } from "../../readings/reading.js";
import { type ConnectionSettings, MqttConnection } from "./connection.js";
import { discoveryMessages } from "./discovery.js";
import { readingPayload, statusPayload, type UploaderStatus } from "./payloads.js";
import { type ReceiverTopics, receiverTopics, type TopicPrefixes } from "./topics.js";

export interface BridgeSettings extends ConnectionSettings, TopicPrefixes {
  /** sharebridge's version, for the discovery configs' origin. */
  readonly version: string;
  /** How often the status is looked at, and published when it changed, ms (default 10 000). */
  readonly statusEveryMs?: number;
}

export interface BridgeOptions {
  readonly log: Logger;
  readonly timers: Timers;
}

/** How a publish went: acknowledged, not acknowledged in time, or not tried (no connection). */
export type PublishResult = "acknowledged" | "failed" | "offline";

const AVAILABLE = "online";
const UNAVAILABLE = "offline";

interface Link {
  readonly topics: ReceiverTopics;
  readonly connection: MqttConnection;
}

export class MqttBridge {
  readonly #settings: BridgeSettings;
  readonly #log: Logger;
  readonly #timers: Timers;
  #link: Link | undefined;
  /** The newest reading given, for this serial. */
  #reading: { readonly serial: string; readonly reading: PostableReading } | undefined;
  #status: (() => UploaderStatus) | undefined;
  /** The status payload the broker last acknowledged on this connection. */
  #publishedStatus: string | undefined;
  #statusTimer: TimerHandle | undefined;
  /** Each status check schedules the next one; only the latest check's schedule counts. */
  #statusRound = 0;
  #closed = false;
  /** Switching serial or closing: one at a time. */
  #switching: Promise<void> = Promise.resolve();

  constructor(settings: BridgeSettings, options: BridgeOptions) {
    this.#settings = settings;
    this.#log = options.log.child({ component: "mqtt" });
    this.#timers = options.timers;
  }

  /** The serial currently published for, if any. */
  get serial(): string | undefined {
    return this.#link?.topics.serial;
  }

  get online(): boolean {
    return this.#link?.connection.online ?? false;
  }

  /** Publishes for receiver `serial` from now on: connects (again) when it is new. */
  useSerial(serial: string): void {
    if (this.#closed || this.#link?.topics.serial === serial.toUpperCase()) return;
    const topics = receiverTopics(this.#settings, serial);
    const previous = this.#link;
    const connection = new MqttConnection(this.#settings, {
      will: { topic: topics.availability, payload: UNAVAILABLE },
      onOnline: () => void this.#announce(topics, connection),
      log: this.#log,
      timers: this.#timers,
    });
    this.#link = { topics, connection };
    this.#publishedStatus = undefined;
    this.#switching = this.#switching.then(async () => {
      if (previous !== undefined) {
        this.#log.info({ previous: previous.topics.serial, serial: topics.serial }, "MQTT: another receiver");
        await previous.connection.close({ topic: previous.topics.availability, payload: UNAVAILABLE });
      }
      if (!this.#closed && this.#link?.connection === connection) connection.start();
    });
  }

  /** Watches the uploader's status: published on every connect, and whenever it changed. */
  watchStatus(status: () => UploaderStatus): void {
    this.#status = status;
    this.#checkStatus();
  }

  /**
   * Publishes `reading` as receiver `serial`'s newest (remembered for the next connect if the
   * broker is away). Never waits for a connection; waits for the broker's acknowledgement at most
   * the acknowledgement timeout.
   */
  async publishReading(serial: string, reading: PostableReading): Promise<PublishResult> {
    this.useSerial(serial);
    const upper = serial.toUpperCase();
    const newest = this.#reading;
    if (newest === undefined || newest.serial !== upper || reading.index >= newest.reading.index) {
      this.#reading = { serial: upper, reading };
    }
    const link = this.#link;
    if (link === undefined || !link.connection.online) return "offline";
    const acknowledged = await link.connection.publish(
      link.topics.reading,
      readingPayload(reading, upper),
      true,
    );
    // A cycle's end is also when the status changes most: the post, the readings waiting.
    this.#checkStatus();
    return acknowledged ? "acknowledged" : "failed";
  }

  /** On every connect: discovery, the current state, then "online" (Home Assistant shows the sensors). */
  async #announce(topics: ReceiverTopics, connection: MqttConnection): Promise<void> {
    this.#publishedStatus = undefined;
    const publish = (topic: string, payload: string) => connection.publish(topic, payload, true);
    for (const message of discoveryMessages(topics, this.#settings.version)) {
      await publish(message.topic, message.payload);
    }
    const newest = this.#reading;
    if (newest !== undefined && newest.serial === topics.serial) {
      await publish(topics.reading, readingPayload(newest.reading, topics.serial));
    }
    await this.#publishStatus(topics, connection);
    await publish(topics.availability, AVAILABLE);
  }

  async #publishStatus(topics: ReceiverTopics, connection: MqttConnection): Promise<void> {
    const status = this.#status?.();
    if (status === undefined) return;
    const payload = statusPayload(status, topics.serial);
    if (payload === this.#publishedStatus) return;
    if (await connection.publish(topics.status, payload, true)) this.#publishedStatus = payload;
  }

  #checkStatus(): void {
    if (this.#statusTimer !== undefined) this.#timers.clearTimeout(this.#statusTimer);
    this.#statusTimer = undefined;
    if (this.#closed || this.#status === undefined) return;
    const round = ++this.#statusRound;
    const serial = this.#status().serial;
    if (serial !== undefined) this.useSerial(serial);
    const link = this.#link;
    const done =
      link?.connection.online === true
        ? this.#publishStatus(link.topics, link.connection)
        : Promise.resolve();
    void done.finally(() => {
      if (this.#closed || round !== this.#statusRound) return;
      this.#statusTimer = this.#timers.setTimeout(
        () => this.#checkStatus(),
        this.#settings.statusEveryMs ?? 10_000,
      );
    });
  }

  /** Publishes "offline" (while connected) and disconnects cleanly: the broker keeps the will to itself. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#statusTimer !== undefined) this.#timers.clearTimeout(this.#statusTimer);
    this.#statusTimer = undefined;
    await this.#switching;
    const link = this.#link;
    if (link !== undefined) {
      await link.connection.close({ topic: link.topics.availability, payload: UNAVAILABLE });
    }
  }
}
