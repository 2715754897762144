import { describe, expect, it } from "vitest";
import {
  ALERT_ERROR_CODES,
  APP_ERROR_CODES,
  CLOCK_ERROR_CODES,
  describeError,
  ERROR_CODE_LISTS,
  ERROR_CODES,
  type ErrorCode,
  isAlertFailure,
  isClockFailure,
  isMqttFailure,
  isReceiverFailure,
  isRecordFailure,
  isSharebridgeError,
  isShareFailure,
  isStateFailure,
  isUsageFailure,
  MQTT_ERROR_CODES,
  RECEIVER_ERROR_CODES,
  RECORD_ERROR_CODES,
  SHARE_ERROR_CODES,
  SharebridgeError,
  STATE_ERROR_CODES,
  USAGE_ERROR_CODES,
} from "../src/errors.js";

describe("SharebridgeError", () => {
  it("appends the code once, and keeps the message as written in detail", () => {
    const error = new SharebridgeError("USAGE", "--type is required", { option: "type" });
    expect(error.message).toBe("--type is required [USAGE]");
    expect(error.detail).toBe("--type is required");
    const again = new SharebridgeError("USAGE", error.message);
    expect(again.message).toBe("--type is required [USAGE]");
    expect(again.detail).toBe("--type is required");
    // Another code's suffix is text like any other.
    const other = new SharebridgeError("INTERNAL", error.message);
    expect(other.message).toBe("--type is required [USAGE] [INTERNAL]");
  });

  it("within(): the same code, context and cause, told with a prefix", () => {
    const cause = new Error("EACCES");
    const inner = new SharebridgeError(
      "CONFIG_INVALID",
      "share.region: unknown",
      { key: "share.region" },
      { cause },
    );
    const outer = inner.within("/etc/sharebridge/config.json", { file: "/etc/sharebridge/config.json" });
    expect(outer.code).toBe("CONFIG_INVALID");
    expect(outer.message).toBe("/etc/sharebridge/config.json: share.region: unknown [CONFIG_INVALID]");
    expect(outer.detail).toBe("/etc/sharebridge/config.json: share.region: unknown");
    expect(outer.context).toEqual({ key: "share.region", file: "/etc/sharebridge/config.json" });
    expect(outer.cause).toBe(cause);
    const progress = new SharebridgeError("SHARE_UNAVAILABLE", "503").within("", { posted: 50, backlog: 3 });
    expect(progress.message).toBe("503 [SHARE_UNAVAILABLE]");
    expect(progress.context.posted).toBe(50);
    expect(progress.context.backlog).toBe(3);
    expect(progress.cause).toBeUndefined();
  });

  it("describeError gives the words without a code for any thrown value", () => {
    expect(describeError(new SharebridgeError("LINK_CLOSED", "the link is closed"))).toBe(
      "the link is closed",
    );
    expect(describeError(new RangeError("out of range"))).toBe("out of range");
    expect(describeError("text")).toBe("text");
  });

  it("isSharebridgeError narrows to the code asked for", () => {
    const error: unknown = new SharebridgeError("RECEIVER_NAK", "NAK", { responseCode: 0x15 });
    expect(isSharebridgeError(error, "RECEIVER_NAK")).toBe(true);
    expect(isSharebridgeError(error, "LINK_FAILED")).toBe(false);
    if (!isSharebridgeError(error, "RECEIVER_NAK")) throw new TypeError("narrowing");
    const responseCode: number | undefined = error.context.responseCode;
    expect(responseCode).toBe(0x15);
  });
});

describe("error code lists", () => {
  it("hold each code exactly once", () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES.length).toBe(
      RECEIVER_ERROR_CODES.length +
        RECORD_ERROR_CODES.length +
        CLOCK_ERROR_CODES.length +
        SHARE_ERROR_CODES.length +
        STATE_ERROR_CODES.length +
        USAGE_ERROR_CODES.length +
        ALERT_ERROR_CODES.length +
        MQTT_ERROR_CODES.length +
        APP_ERROR_CODES.length,
    );
  });

  it("drive the guards: each code answers yes to its own list's guard and no to the others", () => {
    const guards = {
      receiver: isReceiverFailure,
      record: isRecordFailure,
      clock: isClockFailure,
      share: isShareFailure,
      state: isStateFailure,
      usage: isUsageFailure,
      alert: isAlertFailure,
      mqtt: isMqttFailure,
    } as const;
    const yes = (code: ErrorCode) =>
      Object.entries(guards)
        .filter(([, guard]) => guard(new SharebridgeError(code, "x")))
        .map(([name]) => name);
    for (const [list, codes] of Object.entries(ERROR_CODE_LISTS)) {
      for (const code of codes) {
        const expected = list === "record" ? ["receiver", "record"] : list === "app" ? [] : [list];
        expect([code, yes(code)]).toEqual([code, expected]);
      }
    }
    expect(isShareFailure(new Error("SHARE_UNAVAILABLE"))).toBe(false);
  });
});
