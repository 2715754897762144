/**
 * The Home Assistant discovery configs one receiver must have, written out by hand (not derived from
 * the code under test): topic → parsed JSON payload. Used by the unit test and by the broker test.
 */
export function expectedDiscovery(
  serial: string,
  version: string,
  prefixes = { topic: "sharebridge", discovery: "homeassistant" },
): Record<string, unknown> {
  const node = `sharebridge_${serial.toLowerCase()}`;
  const reading = `${prefixes.topic}/${serial}/reading`;
  const status = `${prefixes.topic}/${serial}/status`;
  const common = {
    availability_topic: `${prefixes.topic}/${serial}/availability`,
    payload_available: "online",
    payload_not_available: "offline",
    device: {
      identifiers: [node],
      name: `Dexcom receiver ${serial}`,
      manufacturer: "Dexcom",
      model: "G4/G5/G6 receiver",
      serial_number: serial,
    },
    origin: { name: "sharebridge", sw_version: version },
  };
  const topic = (key: string) => `${prefixes.discovery}/sensor/${node}/${key}/config`;
  return {
    [topic("glucose")]: {
      name: "Glucose",
      unique_id: `${node}_glucose`,
      state_topic: reading,
      value_template: "{{ value_json.glucose_mgdl }}",
      unit_of_measurement: "mg/dL",
      state_class: "measurement",
      icon: "mdi:water",
      json_attributes_topic: reading,
      ...common,
    },
    [topic("trend")]: {
      name: "Trend",
      unique_id: `${node}_trend`,
      state_topic: reading,
      value_template: "{{ value_json.trend }}",
      device_class: "enum",
      options: [
        "None",
        "DoubleUp",
        "SingleUp",
        "FortyFiveUp",
        "Flat",
        "FortyFiveDown",
        "SingleDown",
        "DoubleDown",
        "NotComputable",
        "RateOutOfRange",
      ],
      icon: "mdi:trending-up",
      ...common,
    },
    [topic("reading_age")]: {
      name: "Reading age",
      unique_id: `${node}_reading_age`,
      state_topic: reading,
      value_template: "{{ value_json.reading_time }}",
      device_class: "timestamp",
      ...common,
    },
    [topic("share_status")]: {
      name: "Share status",
      unique_id: `${node}_share_status`,
      state_topic: status,
      value_template: "{{ value_json.share_status }}",
      device_class: "enum",
      options: [
        "ok",
        "starting",
        "waiting-for-receiver",
        "waiting-for-clock",
        "waiting-for-share",
        "waiting-for-operator",
        "stopping",
      ],
      icon: "mdi:cloud-upload",
      json_attributes_topic: status,
      ...common,
    },
    [topic("readings_waiting")]: {
      name: "Readings waiting",
      unique_id: `${node}_readings_waiting`,
      state_topic: status,
      value_template: "{{ value_json.readings_waiting }}",
      state_class: "measurement",
      icon: "mdi:tray-full",
      ...common,
    },
    [topic("last_post")]: {
      name: "Last post",
      unique_id: `${node}_last_post`,
      state_topic: status,
      value_template: "{{ value_json.last_post }}",
      device_class: "timestamp",
      entity_category: "diagnostic",
      ...common,
    },
    [topic("battery")]: {
      name: "Battery",
      unique_id: `${node}_battery`,
      state_topic: status,
      value_template: "{{ value_json.battery_percent }}",
      device_class: "battery",
      unit_of_measurement: "%",
      state_class: "measurement",
      entity_category: "diagnostic",
      ...common,
    },
  };
}
