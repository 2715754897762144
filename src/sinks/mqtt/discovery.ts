/**
 * Home Assistant MQTT discovery (its `DISCOVERY/sensor/NODE/OBJECT/config` convention): one retained
 * config message per sensor makes Home Assistant create the entity, all of one receiver's sensors on
 * one device identified by the receiver's serial. An empty retained message at the same topic
 * removes the entity again (`sharebridge mqtt forget`).
 *
 *   sensor            state topic  value                         shown as
 *   Glucose           reading      glucose_mgdl, mg/dL           a number with a history graph
 *                                  (state_class measurement)     (attributes: trend, arrow, time)
 *   Trend             reading      trend (an enum of the 10      "Flat", "SingleUp", …
 *                                  Dexcom names)
 *   Reading age       reading      reading_time (timestamp)      "4 minutes ago"
 *   Share status      status       share_status (enum)           "ok", "waiting-for-share", …
 *                                                                (attribute waiting_for)
 *   Readings waiting  status       readings_waiting              a count
 *   Last post         status       last_post (timestamp)         "1 minute ago"      (diagnostic)
 *   Battery           status       battery_percent (battery, %)  the receiver's battery (diagnostic)
 *
 * Every sensor follows the availability topic: "offline" there — a clean stop, or the broker
 * publishing the last will of a dead connection — shows every sensor as unavailable.
 *
 * Glucose has no device_class: Home Assistant versions without a blood glucose class refuse a
 * config naming one, and the entity would not appear at all.
 */
import { SHARE_STATUSES, TREND_OPTIONS } from "./payloads.js";
import { type ReceiverTopics, SENSOR_KEYS, type SensorKey } from "./topics.js";

export interface DiscoveryMessage {
  readonly topic: string;
  /** JSON text; published retained. */
  readonly payload: string;
}

interface SensorSpec {
  readonly name: string;
  readonly topic: "reading" | "status";
  readonly field: string;
  readonly extra: Readonly<Record<string, unknown>>;
  /** Attributes from the state topic's JSON (the whole document). */
  readonly attributes?: boolean;
}

const SENSORS: Readonly<Record<SensorKey, SensorSpec>> = {
  glucose: {
    name: "Glucose",
    topic: "reading",
    field: "glucose_mgdl",
    extra: { unit_of_measurement: "mg/dL", state_class: "measurement", icon: "mdi:water" },
    attributes: true,
  },
  trend: {
    name: "Trend",
    topic: "reading",
    field: "trend",
    extra: { device_class: "enum", options: TREND_OPTIONS, icon: "mdi:trending-up" },
  },
  reading_age: {
    name: "Reading age",
    topic: "reading",
    field: "reading_time",
    extra: { device_class: "timestamp" },
  },
  share_status: {
    name: "Share status",
    topic: "status",
    field: "share_status",
    extra: { device_class: "enum", options: SHARE_STATUSES, icon: "mdi:cloud-upload" },
    attributes: true,
  },
  readings_waiting: {
    name: "Readings waiting",
    topic: "status",
    field: "readings_waiting",
    extra: { state_class: "measurement", icon: "mdi:tray-full" },
  },
  last_post: {
    name: "Last post",
    topic: "status",
    field: "last_post",
    extra: { device_class: "timestamp", entity_category: "diagnostic" },
  },
  battery: {
    name: "Battery",
    topic: "status",
    field: "battery_percent",
    extra: {
      device_class: "battery",
      unit_of_measurement: "%",
      state_class: "measurement",
      entity_category: "diagnostic",
    },
  },
};

/** The discovery config of every sensor of one receiver, in SENSOR_KEYS order. */
export function discoveryMessages(topics: ReceiverTopics, version: string): DiscoveryMessage[] {
  const device = {
    identifiers: [topics.nodeId],
    name: `Dexcom receiver ${topics.serial}`,
    manufacturer: "Dexcom",
    model: "G4/G5/G6 receiver",
    serial_number: topics.serial,
  };
  const origin = { name: "sharebridge", sw_version: version };
  return SENSOR_KEYS.map((key) => {
    const sensor = SENSORS[key];
    const stateTopic = sensor.topic === "reading" ? topics.reading : topics.status;
    const config = {
      name: sensor.name,
      unique_id: `${topics.nodeId}_${key}`,
      state_topic: stateTopic,
      value_template: `{{ value_json.${sensor.field} }}`,
      ...sensor.extra,
      ...(sensor.attributes === true ? { json_attributes_topic: stateTopic } : {}),
      availability_topic: topics.availability,
      payload_available: "online",
      payload_not_available: "offline",
      device,
      origin,
    };
    return { topic: topics.discovery(key), payload: JSON.stringify(config) };
  });
}

/** The topics `sharebridge mqtt forget` clears for one receiver: its discovery configs and state. */
export function retainedTopics(topics: ReceiverTopics): string[] {
  return [
    ...SENSOR_KEYS.map((key) => topics.discovery(key)),
    topics.reading,
    topics.status,
    topics.availability,
  ];
}
