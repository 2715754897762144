/**
 * The connection to the broker: MQTT.js speaks the protocol (CONNECT with a last will, keep-alive,
 * QoS 1 PUBACK, TLS); this file decides when to connect, and never lets anyone wait for it.
 *
 *   connecting ──CONNACK──► online ──socket closed, keep-alive lost, a PUBACK overdue──┐
 *       ▲                                                                              │
 *       └────────────── next attempt after 1 s, 2 s, 4 s … at most 30 s ◄──────────────┘
 *
 * - Each attempt is a fresh client with a clean session and nothing queued: what was not delivered
 *   is not replayed later (old readings arriving after newer ones). The bridge publishes the current
 *   state on every connect instead (`onOnline`).
 * - `publish` answers at once with "not delivered" while offline, and within `ackTimeoutMs` while
 *   online; a PUBACK that does not come in time ends the connection (the broker is stopped or the
 *   network is gone), so the next publish does not wait either.
 * - Logs say when the state changes (connected, lost, unreachable, refused), not at every attempt.
 *   Nothing logged holds the password: MQTT.js is given it only inside the connect options.
 *
 * The client id stays the same from one attempt to the next (mqtt.clientId): a new connection then
 * takes over the broker's session of the dead one, whose last will the broker publishes before it
 * answers the new CONNECT — so "offline" from the old connection can never land after the "online"
 * the new one publishes.
 *
 * MQTT.js is imported when the first connection starts: a configuration without MQTT never loads it.
 */
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import type { IClientOptions, MqttClient } from "mqtt";
import type { TimerHandle, Timers } from "../../clock.js";
import type { Logger } from "../../log.js";
import type { Secret } from "../../share/secret.js";
import type { BrokerAddress } from "./broker-url.js";

export interface ConnectionSettings {
  readonly address: BrokerAddress;
  readonly clientId: string;
  readonly username?: string | undefined;
  readonly password?: Secret | undefined;
  /** Extra certificate authorities (PEM), trusted besides Node's own. */
  readonly ca?: string | undefined;
  /** Keep-alive, seconds (default 30): a dead connection is noticed within 1.5 times this. */
  readonly keepaliveSeconds?: number;
  /** How long a CONNECT may wait for its CONNACK, ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** How long a publish waits for its PUBACK, ms (default 2000). */
  readonly ackTimeoutMs?: number;
  /** Waits between attempts, ms (default 1000 doubling to 30 000). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

export interface ConnectionOptions {
  /** The last will: published by the broker when this connection dies without a DISCONNECT. */
  readonly will?: { readonly topic: string; readonly payload: string } | undefined;
  /** Called on every connect, before anything else is published on it. */
  readonly onOnline: () => void;
  /** Called when an attempt failed or a connection ended, with the reason; `refused`: the login. */
  readonly onFailure?: (reason: string, refused: boolean) => void;
  readonly log: Logger;
  readonly timers: Timers;
}

/** The broker as logs show it: scheme, host and port, never a user name. */
export function describeBroker(address: BrokerAddress): string {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `${address.tls ? "mqtts" : "mqtt"}://${host}:${address.port}`;
}

/** CONNACK return codes 4 and 5 (MQTT 3.1.1 §3.2.2.3): the credentials, not the network. */
const REFUSED_CODES = new Set([4, 5]);

type MqttModule = typeof import("mqtt");

export class MqttConnection {
  readonly #settings: ConnectionSettings;
  readonly #options: ConnectionOptions;
  readonly #broker: string;
  #mqtt: MqttModule | undefined;
  #client: MqttClient | undefined;
  #online = false;
  #closed = false;
  #retryTimer: TimerHandle | undefined;
  #retryMs: number;
  /** The last failure logged, so an outage is logged once, and again when its cause changes. */
  #lastProblem: string | undefined;

  constructor(settings: ConnectionSettings, options: ConnectionOptions) {
    this.#settings = settings;
    this.#options = options;
    this.#broker = describeBroker(settings.address);
    this.#retryMs = settings.retryMinMs ?? 1000;
  }

  get online(): boolean {
    return this.#online;
  }

  get broker(): string {
    return this.#broker;
  }

  /** Starts connecting (in the background: the first attempt may take up to the connect timeout). */
  start(): void {
    void this.#attempt();
  }

  async #attempt(): Promise<void> {
    this.#retryTimer = undefined;
    if (this.#closed) return;
    this.#mqtt ??= await import("mqtt");
    if (this.#closed) return;
    const { address, clientId, username, password, ca } = this.#settings;
    const options: IClientOptions = {
      protocol: address.tls ? "mqtts" : "mqtt",
      host: address.host,
      port: address.port,
      clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: this.#settings.keepaliveSeconds ?? 30,
      connectTimeout: this.#settings.connectTimeoutMs ?? 10_000,
      // This file reconnects, with its own back-off, on a fresh client each time.
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      // mqtt-packet otherwise pre-builds a buffer for each of the 65,536 packet ids at the first
      // connect: 7.6 MiB of heap (measured), for a client that sends a few packets a minute.
      writeCache: false,
      ...(this.#options.will === undefined
        ? {}
        : {
            will: {
              topic: this.#options.will.topic,
              payload: Buffer.from(this.#options.will.payload),
              qos: 1,
              retain: true,
            },
          }),
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password: password.reveal() }),
      ...(address.tls
        ? {
            rejectUnauthorized: true,
            ...(ca === undefined ? {} : { ca: [...rootCertificates, ca] }),
            ...(isIP(address.host) === 0 ? { servername: address.host } : {}),
          }
        : {}),
    };
    const client = this.#mqtt.connect(options);
    this.#client = client;
    let problem: string | undefined;
    let refused = false;
    client.on("connect", () => {
      if (this.#client !== client) return;
      this.#online = true;
      this.#retryMs = this.#settings.retryMinMs ?? 1000;
      this.#lastProblem = undefined;
      this.#options.log.info({ broker: this.#broker, clientId }, "MQTT broker connected");
      this.#options.onOnline();
    });
    client.on("error", (error: Error & { code?: unknown }) => {
      refused = REFUSED_CODES.has(Number(error.code));
      problem = refused
        ? `the broker refused the login (${error.message}): check mqtt.username and the password`
        : error.message;
    });
    client.on("close", () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      const wasOnline = this.#online;
      this.#online = false;
      client.end(true);
      if (this.#closed) return;
      const reason = problem ?? (wasOnline ? "the connection closed" : "no answer");
      this.#report(wasOnline, reason, refused);
      this.#options.onFailure?.(reason, refused);
      this.#scheduleRetry();
    });
  }

  #report(wasOnline: boolean, reason: string, refused: boolean): void {
    const log = this.#options.log;
    if (wasOnline) {
      log.warn({ broker: this.#broker, reason }, "MQTT broker connection lost; reconnecting");
      this.#lastProblem = reason;
      return;
    }
    if (reason === this.#lastProblem) return;
    this.#lastProblem = reason;
    const details = {
      broker: this.#broker,
      reason,
      retryMaxSeconds: (this.#settings.retryMaxMs ?? 30_000) / 1000,
    };
    if (refused) log.error(details, "the MQTT broker refused the login; retrying");
    else log.warn(details, "cannot reach the MQTT broker; retrying");
  }

  #scheduleRetry(): void {
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#settings.retryMaxMs ?? 30_000);
    this.#retryTimer = this.#options.timers.setTimeout(() => void this.#attempt(), wait);
  }

  /**
   * Publishes at QoS 1; resolves true once the broker acknowledged, false when offline (at once) or
   * when the acknowledgement is late (and then the connection is dropped and made again).
   */
  publish(topic: string, payload: string, retain: boolean): Promise<boolean> {
    const client = this.#client;
    if (!this.#online || client === undefined) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const timers = this.#options.timers;
      const timer = timers.setTimeout(() => {
        if (settled) return;
        settled = true;
        resolve(false);
        this.#options.log.warn(
          { broker: this.#broker, topic, ackTimeoutMs: this.#settings.ackTimeoutMs ?? 2000 },
          "the MQTT broker did not acknowledge in time; reconnecting",
        );
        // Offline from now on (nobody else waits); its "close" schedules the next attempt, quietly.
        if (this.#client === client) {
          this.#online = false;
          this.#lastProblem = "no answer";
        }
        client.end(true);
      }, this.#settings.ackTimeoutMs ?? 2000);
      client.publish(topic, payload, { qos: 1, retain }, (error) => {
        if (settled) return;
        settled = true;
        timers.clearTimeout(timer);
        resolve(error === undefined || error === null);
      });
    });
  }

  /**
   * Publishes `last` (the availability "offline") if online, then disconnects cleanly: the broker
   * then does not publish the will. Stops every further attempt.
   */
  async close(last?: { readonly topic: string; readonly payload: string }): Promise<void> {
    if (last !== undefined) await this.publish(last.topic, last.payload, true);
    this.#closed = true;
    if (this.#retryTimer !== undefined) this.#options.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#online = false;
    if (client === undefined) return;
    // A clean DISCONNECT, unless the broker does not take it in time.
    const timers = this.#options.timers;
    let timer: TimerHandle | undefined;
    const late = new Promise<void>((resolve) => {
      timer = timers.setTimeout(resolve, this.#settings.ackTimeoutMs ?? 2000);
    });
    await Promise.race([client.endAsync(false).catch(() => undefined), late]);
    timers.clearTimeout(timer);
    client.end(true);
  }
}
