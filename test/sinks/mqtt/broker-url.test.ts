/** mqtt.url and the topic prefixes, as the configuration checks them (src/sinks/mqtt/broker-url.ts, topics.ts). */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { configFromDocument } from "../../../src/config/load.js";
import { isSharebridgeError } from "../../../src/errors.js";
import { brokerUrlProblem, parseBrokerUrl } from "../../../src/sinks/mqtt/broker-url.js";
import { receiverTopics, topicPrefixProblem } from "../../../src/sinks/mqtt/topics.js";

describe("mqtt.url", () => {
  it.each([
    ["mqtt://broker.lan", { tls: false, host: "broker.lan", port: 1883 }],
    ["mqtts://broker.lan", { tls: true, host: "broker.lan", port: 8883 }],
    ["mqtt://192.168.1.5:1884/", { tls: false, host: "192.168.1.5", port: 1884 }],
    ["MQTTS://[::1]:8884", { tls: true, host: "::1", port: 8884 }],
    ["mqtt://[fe80::1]", { tls: false, host: "fe80::1", port: 1883 }],
  ])("%s", (text, address) => {
    expect(parseBrokerUrl(text)).toEqual(address);
  });

  it.each([
    ["http://broker.lan", "must start with mqtt:// or mqtts://"],
    ["broker.lan:1883", "must start with mqtt:// or mqtts://"],
    [
      "mqtt://me:s3cret@broker.lan",
      "must not hold a user name or password: use mqtt.username and mqtt.passwordFile",
    ],
    ["mqtt://broker.lan/sensors", "must be scheme, host and port only (no path, query or fragment)"],
    ["mqtt://broker.lan?x=1", "must be scheme, host and port only (no path, query or fragment)"],
    ["mqtt://broker.lan:0", "has no valid host, or a port outside 1–65535"],
    ["mqtt://broker.lan:65536", "has no valid host, or a port outside 1–65535"],
    ["mqtt://", "has no valid host, or a port outside 1–65535"],
  ])("refuses %s", (text, problem) => {
    expect(brokerUrlProblem(text)).toBe(problem);
  });

  it("a refused URL is named by its key, never quoted (it may hold a password)", () => {
    let thrown: unknown;
    try {
      configFromDocument({ mqtt: { url: "mqtt://me:hunter2@broker.lan" } });
    } catch (error) {
      thrown = error;
    }
    expect(String(thrown)).toMatch(
      /mqtt\.url: must not hold a user name or password: use mqtt.username and mqtt.passwordFile/,
    );
    expect(JSON.stringify([String(thrown), (thrown as { context?: unknown }).context])).not.toContain(
      "hunter2",
    );
  });

  test.prop([fc.string({ maxLength: 400 })])(
    "any text: an address or CONFIG_INVALID, as the check says",
    (text) => {
      let outcome: string;
      try {
        const { port } = parseBrokerUrl(text);
        outcome = port >= 1 && port <= 65_535 ? "address" : `port ${port}`;
      } catch (error) {
        outcome = isSharebridgeError(error, "CONFIG_INVALID") ? "refused" : String(error);
      }
      expect(outcome).toBe(brokerUrlProblem(text) === undefined ? "address" : "refused");
    },
  );
});

describe("topic prefixes", () => {
  it.each(["sharebridge", "home/cgm", "a_b.c-d/e"])("accepts %s", (prefix) => {
    expect(topicPrefixProblem(prefix)).toBeUndefined();
  });

  it.each(["", "/sharebridge", "sharebridge/", "a//b", "a/+/b", "a/#", "$SYS", "a b", "ä"])(
    "refuses %j",
    (prefix) => {
      expect(topicPrefixProblem(prefix)).toBe(
        "must be up to 8 levels of letters, digits, _ . - joined by / (no wildcard, no empty level)",
      );
    },
  );

  test.prop([fc.string({ maxLength: 200 })])(
    "an accepted prefix never holds a wildcard, $ or an empty level",
    (prefix) => {
      const unsafe = prefix.includes("\0") || /[+#$]|^\/|\/$|\/\/|^$/.test(prefix);
      expect(unsafe && topicPrefixProblem(prefix) === undefined).toBe(false);
    },
  );

  it("one receiver's topics", () => {
    const topics = receiverTopics(
      { topicPrefix: "home/cgm", discoveryPrefix: "homeassistant" },
      "sm12345678",
    );
    expect({ ...topics, glucose: topics.discovery("glucose") }).toEqual({
      serial: "SM12345678",
      availability: "home/cgm/SM12345678/availability",
      reading: "home/cgm/SM12345678/reading",
      status: "home/cgm/SM12345678/status",
      nodeId: "sharebridge_sm12345678",
      discovery: topics.discovery,
      glucose: "homeassistant/sensor/sharebridge_sm12345678/glucose/config",
    });
  });
});

describe("receiver.serial", () => {
  it("accepts a serial, refuses anything else", () => {
    expect(configFromDocument({ receiver: { serial: "SM12345678" } }).receiver.serial).toBe("SM12345678");
    expect(() => configFromDocument({ receiver: { serial: "SM 1234" } })).toThrow(
      /receiver\.serial: must be letters and digits; give the serial as `sharebridge receiver list` shows it/,
    );
  });
});
