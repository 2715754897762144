import { describe, expect, it } from "vitest";
import { isSharebridgeError, type SharebridgeError } from "../../src/errors.js";
import { Link } from "../../src/receiver/link.js";
import { encodePacket } from "../../src/wire/packet.js";
import { hex } from "../support/hex.js";
import { ackWith, replyCode, scriptedDevice } from "../support/scripted-device.js";

const SYSTEM_TIME = 0x22;
const fast = { timeoutMs: 150, quietMs: 20 };

async function failure(promise: Promise<unknown>): Promise<SharebridgeError> {
  try {
    await promise;
  } catch (error) {
    if (isSharebridgeError(error)) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

function corrupt(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x5a;
  return copy;
}

describe("link", () => {
  it("sends the request bytes and returns a copy of the ACK payload with timings", async () => {
    const device = scriptedDevice([ackWith([0xc9, 0xc5, 0xd7, 0x08])]);
    let clock = 1000;
    const link = await Link.open(device.opener, { ...fast, now: () => clock++ });
    const response = await link.request(SYSTEM_TIME, new Uint8Array(0));
    expect([...response.payload]).toEqual([0xc9, 0xc5, 0xd7, 0x08]);
    expect(response.sentAtMs).toBe(1000);
    expect(response.receivedAtMs).toBe(1001);
    expect(device.requests).toEqual([{ code: SYSTEM_TIME, payload: [] }]);
    await link.close();
  });

  it("keeps one request in flight: concurrent calls are answered in order", async () => {
    const device = scriptedDevice((request) => ackWith([request.payload[0] ?? 0]));
    const link = await Link.open(device.opener, fast);
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => link.request(0x10, Uint8Array.of(n))));
    expect(answers.map((a) => a.payload[0])).toEqual([1, 2, 3, 4, 5]);
    expect(device.requests.map((r) => r.payload[0])).toEqual([1, 2, 3, 4, 5]);
    await link.close();
  });

  it("retries after a timeout, a NAK, an INCOMPLETE_PACKET and a bad CRC, then succeeds", async () => {
    const good = encodePacket(1, Uint8Array.of(7, 0, 0, 0));
    const device = scriptedDevice([
      { silence: true },
      replyCode(2),
      replyCode(5),
      { reply: corrupt(good) },
      { reply: good },
    ]);
    const link = await Link.open(device.opener, { ...fast, retries: 4 });
    const response = await link.request(SYSTEM_TIME, new Uint8Array(0));
    expect([...response.payload]).toEqual([7, 0, 0, 0]);
    expect(device.requests).toHaveLength(5);
    expect(link.stats).toMatchObject({
      requests: 1,
      retries: 4,
      timeouts: 1,
      naks: 2,
      badCrc: 1,
      reopens: 0,
    });
    await link.close();
  });

  it("does not retry final refusals and names the response code", async () => {
    const device = scriptedDevice([replyCode(4)]);
    const link = await Link.open(device.opener, fast);
    const error = await failure(link.request(0x11, hex("04 00 00 00 00 09")));
    expect(error.code).toBe("RECEIVER_NAK");
    expect(error.context).toMatchObject({ responseCode: 4, responseName: "INVALID_PARAM", commandId: 0x11 });
    expect(error.message).toContain("INVALID_PARAM");
    expect(device.requests).toHaveLength(1);
    await link.close();
  });

  it("reopens the port once after the retries, then gives LINK_FAILED with the last cause", async () => {
    const device = scriptedDevice(() => ({ silence: true }));
    const link = await Link.open(device.opener, { ...fast, retries: 2, reopens: 1 });
    const started = Date.now();
    const error = await failure(link.request(SYSTEM_TIME, new Uint8Array(0)));
    expect(error.code).toBe("LINK_FAILED");
    expect(error.context["lastError"]).toBe("RESPONSE_TIMEOUT");
    expect(device.requests).toHaveLength(6);
    expect(device.opens).toBe(2);
    expect(link.stats).toMatchObject({ timeouts: 6, reopens: 1, retries: 4 });
    expect(Date.now() - started).toBeLessThan(6 * 150 + 500);
    await link.close();
  });

  it("survives an unplug mid-reply by reopening when the device comes back", async () => {
    const reply = encodePacket(1, Uint8Array.of(1, 2, 3, 4));
    const device = scriptedDevice([{ unplug: true, after: reply.subarray(0, 5) }, { reply }]);
    const link = await Link.open(device.opener, fast);
    const response = await link.request(SYSTEM_TIME, new Uint8Array(0));
    expect([...response.payload]).toEqual([1, 2, 3, 4]);
    expect(device.opens).toBe(2);
    expect(link.stats.disconnects).toBe(1);
    await link.close();
  });

  it("gives DEVICE_DISCONNECTED within the timeout when the device stays away, and a later open works", async () => {
    const device = scriptedDevice([{ unplug: true }, ackWith()]);
    const link = await Link.open(device.opener, fast);
    device.gone = true;
    const started = Date.now();
    const error = await failure(link.request(0x0a, new Uint8Array(0)));
    expect(["DEVICE_NOT_FOUND", "DEVICE_DISCONNECTED"]).toContain(error.code);
    expect(Date.now() - started).toBeLessThan(fast.timeoutMs);
    await link.close();
    device.gone = false;
    const again = await Link.open(device.opener, fast);
    await again.request(0x0a, new Uint8Array(0));
    await again.close();
  });

  it("never takes the rest of a damaged reply as the answer to the retry", async () => {
    // The damaged reply arrives in two parts; the retry is only sent once the line is quiet.
    const first = corrupt(encodePacket(1, Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa)));
    const device = scriptedDevice([
      { chunks: [first.subarray(0, 10), first.subarray(10)], gapMs: 5 },
      ackWith([0xbb, 0xbb, 0xbb, 0xbb]),
    ]);
    const link = await Link.open(device.opener, fast);
    const response = await link.request(SYSTEM_TIME, new Uint8Array(0));
    expect([...response.payload]).toEqual([0xbb, 0xbb, 0xbb, 0xbb]);
    await link.close();
  });

  it("recovers a reply behind garbage with a false SOF announcing a long packet", async () => {
    const reply = encodePacket(1, Uint8Array.of(9, 9, 9, 9));
    const device = scriptedDevice([{ reply: Uint8Array.from([0x01, 0x00, 0x04, ...reply]) }]);
    const link = await Link.open(device.opener, fast);
    const response = await link.request(SYSTEM_TIME, new Uint8Array(0));
    expect([...response.payload]).toEqual([9, 9, 9, 9]);
    expect(device.requests).toHaveLength(1);
    expect(link.stats.discardedBytes).toBe(3);
    await link.close();
  });

  it("refuses command ids outside the sendable table before touching the wire", async () => {
    const device = scriptedDevice([]);
    const link = await Link.open(device.opener, fast);
    for (const id of [0x2d, 0x2e, 0x32, 0x34, 0x35, 0x20, 0x24]) {
      const error = await failure(link.request(id, new Uint8Array(0)));
      expect(error.code).toBe("REQUEST_INVALID");
    }
    expect(device.requests).toHaveLength(0);
    await link.close();
  });

  it("fails pending and later requests with LINK_CLOSED after close()", async () => {
    const device = scriptedDevice(() => ({ silence: true }));
    const link = await Link.open(device.opener, { timeoutMs: 5000, quietMs: 20 });
    const pending = failure(link.request(0x0a, new Uint8Array(0)));
    await new Promise((r) => setTimeout(r, 20));
    await link.close();
    expect((await pending).code).toBe("LINK_CLOSED");
    expect((await failure(link.request(0x0a, new Uint8Array(0)))).code).toBe("LINK_CLOSED");
  });
});
