/**
 * The link against a scripted device, in fake time (test/support/manual-time.ts): timeouts, quiet
 * periods and reopens take no real time, and the tests assert how much fake time they took.
 */
import { describe, expect, it } from "vitest";
import { isSharebridgeError, type SharebridgeError } from "../../src/errors.js";
import { Link, type LinkOptions } from "../../src/receiver/link.js";
import { encodePacket } from "../../src/wire/packet.js";
import { hex } from "../support/hex.js";
import { ManualTime } from "../support/manual-time.js";
import { ackWith, replyCode, type Step, scriptedDevice } from "../support/scripted-device.js";

const SYSTEM_TIME = 0x22;
const TIMEOUT_MS = 150;
const QUIET_MS = 20;

function setup(script: Parameters<typeof scriptedDevice>[0], options: LinkOptions = {}) {
  const time = new ManualTime();
  const device = scriptedDevice(script, time);
  const open = () =>
    time.run(
      Link.open(device.opener, {
        timeoutMs: TIMEOUT_MS,
        quietMs: QUIET_MS,
        clock: time,
        timers: time,
        ...options,
      }),
    );
  return { time, device, open };
}

async function failure(promise: Promise<unknown>): Promise<SharebridgeError> {
  try {
    await promise;
  } catch (error) {
    if (isSharebridgeError(error)) return error;
    throw error;
  }
  return expect.unreachable("expected a failure");
}

function corrupt(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x5a;
  return copy;
}

describe("link", () => {
  it("sends the request bytes and returns a copy of the ACK payload with the clock's times", async () => {
    const { time, device, open } = setup([{ reply: encodePacket(1, hex("C9 C5 D7 08")), delayMs: 14 }]);
    const link = await open();
    const start = time.now();
    const response = await time.run(link.request(SYSTEM_TIME, new Uint8Array(0)));
    expect([...response.payload]).toEqual([0xc9, 0xc5, 0xd7, 0x08]);
    expect(response.sentAtMs).toBe(start);
    expect(response.receivedAtMs).toBe(start + 14);
    expect(device.requests).toEqual([{ code: SYSTEM_TIME, payload: [] }]);
    await link.close();
  });

  it("keeps one request in flight: concurrent calls are answered in order", async () => {
    const { time, device, open } = setup((request) => ackWith([request.payload[0] ?? 0]));
    const link = await open();
    const answers = await time.run(
      Promise.all([1, 2, 3, 4, 5].map((n) => link.request(0x10, Uint8Array.of(n)))),
    );
    expect(answers.map((a) => a.payload[0])).toEqual([1, 2, 3, 4, 5]);
    expect(device.requests.map((r) => r.payload[0])).toEqual([1, 2, 3, 4, 5]);
    await link.close();
  });

  it("retries after a timeout, a NAK, an INCOMPLETE_PACKET and a bad CRC, then succeeds", async () => {
    const good = encodePacket(1, Uint8Array.of(7, 0, 0, 0));
    const { time, device, open } = setup(
      [{ silence: true }, replyCode(2), replyCode(5), { reply: corrupt(good) }, { reply: good }],
      { retries: 4 },
    );
    const link = await open();
    const start = time.now();
    const response = await time.run(link.request(SYSTEM_TIME, new Uint8Array(0)));
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
    // One timeout and a quiet period for its late answer, one quiet period after the damaged reply.
    expect(time.now() - start).toBe(TIMEOUT_MS + 2 * QUIET_MS);
    await link.close();
  });

  it("does not retry final refusals and names the response code", async () => {
    const { time, device, open } = setup([replyCode(4)]);
    const link = await open();
    const error = await failure(time.run(link.request(0x11, hex("04 00 00 00 00 09"))));
    expect(error.code).toBe("RECEIVER_NAK");
    expect(error.context).toMatchObject({ responseCode: 4, responseName: "INVALID_PARAM", commandId: 0x11 });
    expect(error.message).toContain("INVALID_PARAM");
    expect(device.requests).toHaveLength(1);
    await link.close();
  });

  it("reopens the port once after the retries, then gives LINK_FAILED with the last cause", async () => {
    const { time, device, open } = setup(() => ({ silence: true }), { retries: 2, reopens: 1 });
    const link = await open();
    const start = time.now();
    const error = await failure(time.run(link.request(SYSTEM_TIME, new Uint8Array(0))));
    expect(error.code).toBe("LINK_FAILED");
    expect(error.context["lastError"]).toBe("RESPONSE_TIMEOUT");
    expect(device.requests).toHaveLength(6);
    expect(device.opens).toBe(2);
    expect(link.stats).toMatchObject({ timeouts: 6, reopens: 1, retries: 4 });
    // Before each retry on the same connection, a quiet period for the late answer (4 of them).
    expect(time.now() - start).toBe(6 * TIMEOUT_MS + 4 * QUIET_MS);
    await link.close();
  });

  it("survives an unplug mid-reply by reopening when the device comes back", async () => {
    const reply = encodePacket(1, Uint8Array.of(1, 2, 3, 4));
    const { time, device, open } = setup([{ unplug: true, after: reply.subarray(0, 5) }, { reply }]);
    const link = await open();
    const response = await time.run(link.request(SYSTEM_TIME, new Uint8Array(0)));
    expect([...response.payload]).toEqual([1, 2, 3, 4]);
    expect(device.opens).toBe(2);
    expect(link.stats.disconnects).toBe(1);
    await link.close();
  });

  it("gives DEVICE_NOT_FOUND before the timeout when the device stays away, and a later open works", async () => {
    const { time, device, open } = setup([{ unplug: true }, ackWith()]);
    const link = await open();
    device.gone = true;
    const start = time.now();
    const error = await failure(time.run(link.request(0x0a, new Uint8Array(0))));
    expect(error.code).toBe("DEVICE_NOT_FOUND");
    expect(time.now() - start).toBeLessThan(TIMEOUT_MS);
    await link.close();
    device.gone = false;
    const again = await open();
    await time.run(again.request(0x0a, new Uint8Array(0)));
    await again.close();
  });

  it("never takes the rest of a damaged reply as the answer to the retry", async () => {
    // The damaged reply arrives in two parts; the retry is only sent once the line is quiet.
    const first = corrupt(encodePacket(1, Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa)));
    const { time, open } = setup([
      { chunks: [first.subarray(0, 10), first.subarray(10)], gapMs: 5 },
      ackWith([0xbb, 0xbb, 0xbb, 0xbb]),
    ]);
    const link = await open();
    const response = await time.run(link.request(SYSTEM_TIME, new Uint8Array(0)));
    expect([...response.payload]).toEqual([0xbb, 0xbb, 0xbb, 0xbb]);
    await link.close();
  });

  it("recovers a reply behind garbage with a false SOF announcing a long packet", async () => {
    const reply = encodePacket(1, Uint8Array.of(9, 9, 9, 9));
    const { time, device, open } = setup([{ reply: Uint8Array.from([0x01, 0x00, 0x04, ...reply]) }]);
    const link = await open();
    const start = time.now();
    const response = await time.run(link.request(SYSTEM_TIME, new Uint8Array(0)));
    expect([...response.payload]).toEqual([9, 9, 9, 9]);
    expect(device.requests).toHaveLength(1);
    expect(link.stats.discardedBytes).toBe(3);
    expect(time.now() - start).toBe(QUIET_MS);
    await link.close();
  });

  it("refuses command ids outside the sendable table before touching the wire", async () => {
    const { time, device, open } = setup([]);
    const link = await open();
    for (const id of [0x2d, 0x2e, 0x32, 0x34, 0x35, 0x20, 0x24]) {
      const error = await failure(time.run(link.request(id, new Uint8Array(0))));
      expect(error.code).toBe("REQUEST_INVALID");
    }
    expect(device.requests).toHaveLength(0);
    await link.close();
  });

  it("fails pending and later requests with LINK_CLOSED after close()", async () => {
    const { time, open } = setup(() => ({ silence: true }), { timeoutMs: 5000 });
    const link = await open();
    const pending = failure(link.request(0x0a, new Uint8Array(0)));
    await time.advance(20);
    await link.close();
    expect((await pending).code).toBe("LINK_CLOSED");
    expect((await failure(link.request(0x0a, new Uint8Array(0)))).code).toBe("LINK_CLOSED");
  });
});

describe("link cancellation", () => {
  it("ends the request in flight with ABORTED at once, and refuses later ones", async () => {
    const controller = new AbortController();
    const { time, open } = setup(() => ({ silence: true }), {
      timeoutMs: 5000,
      signal: controller.signal,
    });
    const link = await open();
    const pending = failure(link.request(0x0a, new Uint8Array(0)));
    await time.advance(30);
    const at = time.now();
    controller.abort();
    const error = await pending;
    expect(error.code).toBe("ABORTED");
    expect(time.now()).toBe(at);
    expect((await failure(link.request(0x0a, new Uint8Array(0)))).code).toBe("ABORTED");
    await link.close();
  });

  it("a request's own signal ends only that request; the next waits out the late answer first", async () => {
    const late = ackWith([0xee]);
    const steps: Step[] = [{ ...(late as { reply: Uint8Array }), delayMs: 40 }, ackWith([0x11])];
    const { time, device, open } = setup(steps);
    const link = await open();
    const controller = new AbortController();
    const first = failure(link.request(0x10, Uint8Array.of(1), { signal: controller.signal }));
    await time.advance(10);
    controller.abort();
    expect((await first).code).toBe("ABORTED");
    const second = await time.run(link.request(0x10, Uint8Array.of(2)));
    // The answer to the abandoned request (0xEE) arrived while the link waited for quiet: dropped.
    expect([...second.payload]).toEqual([0x11]);
    expect(device.requests.map((r) => r.payload[0])).toEqual([1, 2]);
    await link.close();
  });

  it("an abort during a reopen ends the request with ABORTED", async () => {
    const controller = new AbortController();
    const time = new ManualTime();
    let opens = 0;
    const device = scriptedDevice([{ unplug: true }], time);
    const opener: typeof device.opener = (sink) =>
      ++opens === 1 ? device.opener(sink) : new Promise(() => undefined); // the second open hangs
    const link = await time.run(
      Link.open(opener, { timeoutMs: TIMEOUT_MS, clock: time, timers: time, signal: controller.signal }),
    );
    const pending = failure(link.request(0x0a, new Uint8Array(0)));
    await time.advance(10);
    expect(opens).toBe(2);
    controller.abort();
    expect((await pending).code).toBe("ABORTED");
    await link.close();
  });

  it("a close that is part of a cancellation ends the request with ABORTED, not LINK_CLOSED", async () => {
    const controller = new AbortController();
    const { time, open } = setup(() => ({ silence: true }), { timeoutMs: 5000, signal: controller.signal });
    const link = await open();
    // As a command does on SIGTERM: close the port when the signal aborts (this listener runs first).
    controller.signal.addEventListener("abort", () => void link.close(), { once: true });
    const pending = failure(link.request(0x0a, new Uint8Array(0)));
    await time.advance(30);
    controller.abort();
    expect((await pending).code).toBe("ABORTED");
  });

  it("refuses settings outside their range with CONFIG_INVALID", async () => {
    const { open } = setup([], { timeoutMs: 0 });
    await expect(open()).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});
