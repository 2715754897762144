/** What is published for Home Assistant, byte for byte (src/sinks/mqtt/payloads.ts, discovery.ts). */
import { describe, expect, it } from "vitest";
import type { PostableReading } from "../../../src/readings/reading.js";
import { discoveryMessages, retainedTopics } from "../../../src/sinks/mqtt/discovery.js";
import { readingPayload, statusPayload } from "../../../src/sinks/mqtt/payloads.js";
import { receiverTopics } from "../../../src/sinks/mqtt/topics.js";
import { expectedDiscovery } from "./expected-discovery.js";

const AT = Date.UTC(2026, 4, 2, 12, 0, 0);

function reading(glucose: number, trend: number): PostableReading {
  return {
    recordType: 4,
    index: 4711,
    systemSeconds: 548_000_000,
    storedGlucose: glucose,
    glucose,
    trend,
    times: { stMs: AT, dtMs: AT + 7_200_000, ta: 0, wtMs: AT },
    skip: undefined,
  };
}

describe("state payloads", () => {
  it("a reading: mg/dL, the trend's name and arrow, its true time in ISO UTC, the serial", () => {
    expect(readingPayload(reading(123, 4), "SM12345678")).toBe(
      '{"glucose_mgdl":123,"trend":"Flat","trend_arrow":"→","reading_time":"2026-05-02T12:00:00.000Z","serial":"SM12345678"}',
    );
    const arrows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((t) =>
      JSON.parse(readingPayload(reading(100, t), "S1")),
    );
    expect(arrows.map((a) => `${a.trend} ${a.trend_arrow}`)).toEqual([
      "None ",
      "DoubleUp ⇈",
      "SingleUp ↑",
      "FortyFiveUp ↗",
      "Flat →",
      "FortyFiveDown ↘",
      "SingleDown ↓",
      "DoubleDown ⇊",
      "NotComputable ?",
      "RateOutOfRange ⇕",
    ]);
  });

  it("the status; what is not known is null", () => {
    expect(
      statusPayload(
        {
          serial: "SM12345678",
          shareStatus: "ok",
          waitingFor: undefined,
          readingsWaiting: 0,
          lastPostUtcMs: AT + 3000,
          batteryPercent: 87,
        },
        "SM12345678",
      ),
    ).toBe(
      '{"share_status":"ok","waiting_for":null,"readings_waiting":0,"last_post":"2026-05-02T12:00:03.000Z","battery_percent":87,"serial":"SM12345678"}',
    );
    expect(
      statusPayload(
        {
          serial: undefined,
          shareStatus: "waiting-for-share",
          waitingFor: "Share (unreachable)",
          readingsWaiting: 12,
          lastPostUtcMs: undefined,
          batteryPercent: undefined,
        },
        "SM12345678",
      ),
    ).toBe(
      '{"share_status":"waiting-for-share","waiting_for":"Share (unreachable)","readings_waiting":12,"last_post":null,"battery_percent":null,"serial":"SM12345678"}',
    );
  });
});

describe("Home Assistant discovery", () => {
  it("seven sensors on one device per receiver serial, each config exactly as expected", () => {
    const messages = discoveryMessages(
      receiverTopics({ topicPrefix: "sharebridge", discoveryPrefix: "homeassistant" }, "SM12345678"),
      "1.2.3",
    );
    expect(Object.fromEntries(messages.map((m) => [m.topic, JSON.parse(m.payload)]))).toEqual(
      expectedDiscovery("SM12345678", "1.2.3"),
    );
    expect(messages.map((m) => m.topic)).toEqual(Object.keys(expectedDiscovery("SM12345678", "1.2.3")));
    expect(messages[0]?.payload).toBe(
      '{"name":"Glucose","unique_id":"sharebridge_sm12345678_glucose","state_topic":"sharebridge/SM12345678/reading",' +
        '"value_template":"{{ value_json.glucose_mgdl }}","unit_of_measurement":"mg/dL","state_class":"measurement",' +
        '"icon":"mdi:water","json_attributes_topic":"sharebridge/SM12345678/reading",' +
        '"availability_topic":"sharebridge/SM12345678/availability","payload_available":"online","payload_not_available":"offline",' +
        '"device":{"identifiers":["sharebridge_sm12345678"],"name":"Dexcom receiver SM12345678","manufacturer":"Dexcom",' +
        '"model":"G4/G5/G6 receiver","serial_number":"SM12345678"},"origin":{"name":"sharebridge","sw_version":"1.2.3"}}',
    );
  });

  it("the prefixes are the configured ones", () => {
    const topics = receiverTopics({ topicPrefix: "home/cgm", discoveryPrefix: "ha" }, "SM1");
    const messages = discoveryMessages(topics, "1.2.3");
    expect(Object.fromEntries(messages.map((m) => [m.topic, JSON.parse(m.payload)]))).toEqual(
      expectedDiscovery("SM1", "1.2.3", { topic: "home/cgm", discovery: "ha" }),
    );
  });

  it("mqtt forget clears the discovery configs and the retained state topics", () => {
    const topics = receiverTopics({ topicPrefix: "sharebridge", discoveryPrefix: "homeassistant" }, "SM1");
    expect(retainedTopics(topics)).toEqual([
      ...Object.keys(expectedDiscovery("SM1", "x")),
      "sharebridge/SM1/reading",
      "sharebridge/SM1/status",
      "sharebridge/SM1/availability",
    ]);
  });
});
