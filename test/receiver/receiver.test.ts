import { beforeEach, describe, expect, it } from "vitest";
import { ReadDatabasePages, ReadSystemTime } from "../../src/receiver/commands.js";
import { Receiver, type ReceiverOptions } from "../../src/receiver/receiver.js";
import { writeTrailingCrc } from "../../src/wire/crc16.js";
import { encodePacket } from "../../src/wire/packet.js";
import { PAGE_LENGTH } from "../../src/wire/page.js";
import { logSink } from "../share/support/log-sink.js";
import { ManualTime } from "../support/manual-time.js";
import { replyCode, type ScriptedDevice, type Step, scriptedDevice } from "../support/scripted-device.js";

const fast = { timeoutMs: 150, quietMs: 20 };
let time: ManualTime;
beforeEach(() => {
  time = new ManualTime();
});

/** Opens a receiver on the scripted device, in fake time. */
function open(device: ScriptedDevice, options: ReceiverOptions = {}): Promise<Receiver> {
  return time.run(Receiver.open(device.opener, { ...fast, clock: time, timers: time, ...options }));
}

/** A page carrying its type at offset 8 and number at offset 10 (what the codec cross-checks). */
function page(type: number, number: number): Uint8Array {
  const bytes = new Uint8Array(PAGE_LENGTH).fill(0xff);
  const view = new DataView(bytes.buffer);
  view.setUint8(8, type);
  view.setUint32(10, number, true);
  writeTrailingCrc(bytes, 0, 26);
  return bytes;
}

function pagesReply(type: number, first: number, count: number): Step {
  const payload = new Uint8Array(count * PAGE_LENGTH);
  for (let i = 0; i < count; i++) payload.set(page(type, first + i), i * PAGE_LENGTH);
  return { reply: encodePacket(1, payload) };
}

function pagesRequest(payload: Uint8Array) {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { type: view.getUint8(0), first: view.getUint32(1, true), count: view.getUint8(5) };
}

describe("Receiver", () => {
  it("reads pages four per request and the remainder last (spec §3.2 step 5)", async () => {
    const device = scriptedDevice((request) => {
      const { type, first, count } = pagesRequest(request.payload);
      return pagesReply(type, first, count);
    }, time);
    const receiver = await open(device);
    const progress: number[] = [];
    const pages = await time.run(receiver.readPages(4, 100, 11, { onProgress: (n) => progress.push(n) }));
    expect(pages.map((p) => new DataView(p.buffer, p.byteOffset).getUint32(10, true))).toEqual([
      100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
    ]);
    expect(device.requests.map((r) => pagesRequest(Uint8Array.from(r.payload)).count)).toEqual([4, 4, 3]);
    expect(progress).toEqual([4, 8, 11]);
    await receiver.close();
  });

  it("falls back to one page per request for the connection when a multi-page read is refused", async () => {
    const device = scriptedDevice((request) => {
      const { type, first, count } = pagesRequest(request.payload);
      return count > 1 ? replyCode(4) : pagesReply(type, first, 1);
    }, time);
    const receiver = await open(device);
    const pages = await time.run(receiver.readPages(4, 7, 3));
    expect(pages).toHaveLength(3);
    expect(receiver.pagesPerRequest).toBe(1);
    expect(device.requests.map((r) => pagesRequest(Uint8Array.from(r.payload)).count)).toEqual([3, 1, 1, 1]);
    await time.run(receiver.readPages(4, 10, 2));
    expect(device.requests).toHaveLength(6);
    await receiver.close();
  });

  it("falls back when the receiver stays silent on multi-page reads", async () => {
    const device = scriptedDevice((request) => {
      const { type, first, count } = pagesRequest(request.payload);
      return count > 1 ? { silence: true } : pagesReply(type, first, 1);
    }, time);
    const receiver = await open(device);
    expect(await time.run(receiver.readPages(4, 0, 2))).toHaveLength(2);
    // Two silent attempts (one retry, no reopen), then single pages.
    expect(device.requests.map((r) => pagesRequest(Uint8Array.from(r.payload)).count)).toEqual([2, 2, 1, 1]);
    expect(device.opens).toBe(1);
    await receiver.close();
  });

  it("falls back on a multi-page ACK of the wrong length, remembers it and logs it once", async () => {
    const device = scriptedDevice((request) => {
      const { type, first } = pagesRequest(request.payload);
      // A receiver that ignores the count and always answers one page.
      return pagesReply(type, first, 1);
    }, time);
    const sink = logSink();
    const receiver = await open(device, { log: sink.log });
    const pages = await time.run(receiver.readPages(4, 0, 6));
    expect(pages.map((p) => new DataView(p.buffer, p.byteOffset).getUint32(10, true))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(receiver.pagesPerRequest).toBe(1);
    // One 4-page request answered with 528 bytes, not asked again; then single pages only.
    expect(device.requests.map((r) => pagesRequest(Uint8Array.from(r.payload)).count)).toEqual([
      4, 1, 1, 1, 1, 1, 1,
    ]);
    await time.run(receiver.readPages(4, 10, 3));
    const warnings = sink.lines().filter((line) => String(line["msg"]).includes("one page per request"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      code: "RESPONSE_MALFORMED",
      pages: 4,
    });
    await receiver.close();
  });

  it("asks again when an ACK carries pages other than those requested", async () => {
    let calls = 0;
    const device = scriptedDevice((request) => {
      const { type, first, count } = pagesRequest(request.payload);
      calls++;
      return calls === 1 ? pagesReply(type, first + 1, count) : pagesReply(type, first, count);
    }, time);
    const receiver = await open(device);
    const pages = await time.run(receiver.readPages(5, 20, 2));
    expect(pages.map((p) => new DataView(p.buffer, p.byteOffset).getUint32(10, true))).toEqual([20, 21]);
    expect(calls).toBe(2);
    await receiver.close();
  });

  it("decodes typed values and times the round trip", async () => {
    const device = scriptedDevice([{ reply: encodePacket(1, Uint8Array.of(0xc9, 0xc5, 0xd7, 0x08)) }], time);
    let now = 50;
    const receiver = await open(device, { clock: { now: () => (now += 10) } });
    const timed = await time.run(receiver.callTimed(ReadSystemTime));
    expect(timed).toEqual({ value: 148358601, sentAtMs: 60, receivedAtMs: 70 });
    await receiver.close();
  });

  it("refuses a bad page request before sending", async () => {
    const device = scriptedDevice([], time);
    const receiver = await open(device);
    await expect(receiver.readPages(4, 0, -1)).rejects.toThrow(/REQUEST_INVALID/);
    await expect(receiver.call(ReadDatabasePages, 4, 0, 0)).rejects.toThrow(/REQUEST_INVALID/);
    expect(device.requests).toHaveLength(0);
    await receiver.close();
  });
});
