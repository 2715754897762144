// Receiver epoch conversions: the vectors of spec receiver-protocol §6.1 (EC time_test.go) and the
// worked examples of §2.4 and §5.1.
import { describe, expect, it } from "vitest";
import {
  MAX_RECEIVER_SECONDS,
  naiveMsToReceiverSeconds,
  RECEIVER_EPOCH_MS,
  RECEIVER_EPOCH_SECONDS,
  receiverSecondsToNaiveIso,
  receiverSecondsToNaiveMs,
} from "../../src/wire/epoch.js";

describe("receiver epoch (§6.1)", () => {
  it("is 2009-01-01T00:00:00Z", () => {
    expect(RECEIVER_EPOCH_MS).toBe(1_230_768_000_000);
    expect(RECEIVER_EPOCH_SECONDS).toBe(1_230_768_000);
    expect(MAX_RECEIVER_SECONDS).toBe(4_294_967_295);
  });

  it.each([
    [0x0e339074, "2016-07-20T15:25:40"],
    [0x0edcba98, "2016-11-25T22:58:32"],
    [0x04030201, "2011-02-19T00:06:25"],
    [0x01234567, "2009-08-09T22:25:43"],
    [148358601, "2013-09-14T02:43:21"], // §2.4 ReadSystemTime reply
    [0x08d671c3, "2013-09-13T02:32:35"], // §5.1 worked EGV, system time
    [0x08d60f79, "2013-09-12T19:33:13"], // §5.1 worked EGV, display time
  ])("%i → %s", (seconds, text) => {
    expect(receiverSecondsToNaiveIso(seconds)).toBe(text);
    expect(naiveMsToReceiverSeconds(receiverSecondsToNaiveMs(seconds))).toBe(seconds);
  });
});
