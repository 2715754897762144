/**
 * Where everything is published, for one receiver (its serial, upper case):
 *
 *   PREFIX/SERIAL/availability                        "online" / "offline", retained; "offline" is
 *                                                     also the last will (the broker publishes it
 *                                                     when the connection dies)
 *   PREFIX/SERIAL/reading                             the newest reading, JSON, retained
 *   PREFIX/SERIAL/status                              the uploader's state, JSON, retained
 *   DISCOVERY/sensor/sharebridge_serial/KEY/config    Home Assistant discovery, one per sensor,
 *                                                     retained (node id lower case)
 *
 * PREFIX is mqtt.topicPrefix (default `sharebridge`), DISCOVERY mqtt.discoveryPrefix (default
 * `homeassistant`, Home Assistant's own). Both are checked here once: levels of letters, digits and
 * `_ . -` joined by `/` — no wildcard (`+`, `#`, MQTT 3.1.1 §4.7.1), no empty level, nothing starting
 * with `$` (reserved for the broker, §4.7.2).
 */

import { fail } from "../../errors.js";

const PREFIX = /^[A-Za-z0-9_.-]{1,64}(?:\/[A-Za-z0-9_.-]{1,64}){0,7}$/;
const SERIAL = /^[A-Za-z0-9-]{1,32}$/;

/** Why `text` is not a usable topic prefix, or undefined when it is one. */
export function topicPrefixProblem(text: string): string | undefined {
  return PREFIX.test(text)
    ? undefined
    : "must be up to 8 levels of letters, digits, _ . - joined by / (no wildcard, no empty level)";
}

/** The sensors each receiver's device has in Home Assistant, by key (discovery.ts says what each is). */
export const SENSOR_KEYS = [
  "glucose",
  "trend",
  "reading_age",
  "share_status",
  "readings_waiting",
  "last_post",
  "battery",
] as const;
export type SensorKey = (typeof SENSOR_KEYS)[number];

export interface ReceiverTopics {
  readonly serial: string;
  readonly availability: string;
  readonly reading: string;
  readonly status: string;
  /** Home Assistant's node id for this receiver: `sharebridge_` and the serial, lower case. */
  readonly nodeId: string;
  discovery(key: SensorKey): string;
}

export interface TopicPrefixes {
  /** mqtt.topicPrefix. */
  readonly topicPrefix: string;
  /** mqtt.discoveryPrefix. */
  readonly discoveryPrefix: string;
}

/** The topics of receiver `serial`; the prefixes are validated by the configuration. */
export function receiverTopics(prefixes: TopicPrefixes, serial: string): ReceiverTopics {
  // Serials are checked where they are read (records/xml-record.ts): this holds by construction.
  if (!SERIAL.test(serial)) fail("INTERNAL", "a receiver serial is letters, digits and hyphens", {});
  const upper = serial.toUpperCase();
  const base = `${prefixes.topicPrefix}/${upper}`;
  const nodeId = `sharebridge_${serial.toLowerCase().replaceAll("-", "_")}`;
  return {
    serial: upper,
    availability: `${base}/availability`,
    reading: `${base}/reading`,
    status: `${base}/status`,
    nodeId,
    discovery: (key) => `${prefixes.discoveryPrefix}/sensor/${nodeId}/${key}/config`,
  };
}
