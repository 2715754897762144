/**
 * The §7.2 policy of spec receiver-protocol: the default reply for each situation and its switchable
 * alternative, and that malformed input never costs more than one reply or breaks the next request.
 */
import { Writable } from "node:stream";
import fc from "fast-check";
import { pino } from "pino";
import { afterEach, describe, expect, test } from "vitest";
import { createReceiverEmulator, type ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import type { ReceiverEmulatorOptions } from "../../../src/emulator/receiver/options.js";
import { encodePacket } from "../../../src/wire/packet.js";
import { headerRequest, hex, NOW, pagesRequest, sleep, TestHost, toHex } from "./helpers.js";

const ACK = 1;
const NAK = 2;
const INVALID_COMMAND = 3;
const INVALID_PARAM = 4;
const INCOMPLETE = 5;
const INVALID_MODE = 7;

let emulator: ReceiverEmulator | undefined;
let host: TestHost | undefined;
afterEach(async () => {
  await host?.close();
  await emulator?.close();
  host = undefined;
  emulator = undefined;
});

async function connect(options: ReceiverEmulatorOptions = {}): Promise<TestHost> {
  emulator = createReceiverEmulator({ profile: "g4", seed: 3, days: 3, now: () => NOW, ...options });
  host = await TestHost.open(emulator.opener());
  return host;
}

async function code(h: TestHost, command: number, payload?: Uint8Array): Promise<number> {
  return (await h.call(command, payload)).code;
}

/** Sends raw bytes and returns every packet that arrives within `waitMs`. */
async function raw(h: TestHost, bytes: Uint8Array, waitMs = 120): Promise<number[]> {
  const before = h.packets.length;
  await h.send(bytes);
  await sleep(waitMs);
  return h.packets.slice(before).map((p) => p.code);
}

async function pingStillWorks(h: TestHost): Promise<void> {
  expect(toHex(await h.request(0x0a))).toBe("01 06 00 01 35 D4");
}

describe("unknown and unimplemented commands", () => {
  test.each([12, 44, 61, 0x44, 0xff, 0])("unknown id %i → INVALID_COMMAND, exact bytes", async (id) => {
    const h = await connect();
    expect(toHex(await h.request(id))).toBe(toHex(encodePacket(INVALID_COMMAND)));
  });

  test("unknown id with unknownCommand=silence → no reply, and the link carries on", async () => {
    const h = await connect({ errorPolicy: { unknownCommand: "silence" } });
    expect(await raw(h, encodePacket(12))).toEqual([]);
    await pingStillWorks(h);
  });

  test("EraseDatabase (45) and ShutdownReceiver (46) → INVALID_COMMAND and nothing erased", async () => {
    const h = await connect();
    const before = emulator?.model.partitions[4]?.records.length;
    expect(await code(h, 45)).toBe(INVALID_COMMAND);
    expect(await code(h, 46)).toBe(INVALID_COMMAND);
    expect(emulator?.model.partitions[4]?.records.length).toBe(before);
  });

  test("unimplementedCommand=ack → ACK without effect", async () => {
    const h = await connect({ errorPolicy: { unimplementedCommand: "ack" } });
    const before = emulator?.model.partitions[4]?.records.length;
    expect(toHex(await h.request(45))).toBe("01 06 00 01 35 D4");
    expect(emulator?.model.partitions[4]?.records.length).toBe(before);
  });

  test("invalidModeCommands → INVALID_MODE for those ids only", async () => {
    const h = await connect({ errorPolicy: { invalidModeCommands: [0x22] } });
    expect(await code(h, 0x22)).toBe(INVALID_MODE);
    expect(await code(h, 0x1f)).toBe(ACK);
  });
});

describe("parameters", () => {
  test("payload length wrong → INVALID_PARAM (default) or NAK", async () => {
    const h = await connect();
    expect(await code(h, 0x0a, Uint8Array.of(0))).toBe(INVALID_PARAM);
    expect(await code(h, 0x10)).toBe(INVALID_PARAM);
    expect(await code(h, 0x11, Uint8Array.of(4, 0, 0, 0, 0))).toBe(INVALID_PARAM);
    emulator?.setErrorPolicy({ badPayloadLength: "nak" });
    expect(await code(h, 0x10, Uint8Array.of(4, 4))).toBe(NAK);
  });

  test("record type above 12 on a G4 → INVALID_PARAM", async () => {
    const h = await connect();
    expect(await code(h, 0x10, Uint8Array.of(13))).toBe(INVALID_PARAM);
    expect(await code(h, 0x11, pagesRequest(18, 0, 1))).toBe(INVALID_PARAM);
    expect(await code(h, 0x12, headerRequest(255, 0))).toBe(INVALID_PARAM);
  });

  test("touchscreen: type 19 → INVALID_PARAM; types 13–17 are valid and empty", async () => {
    const h = await connect({ profile: "touchscreen" });
    expect(await code(h, 0x10, Uint8Array.of(19))).toBe(INVALID_PARAM);
    expect(toHex(await h.request(0x10, Uint8Array.of(13)))).toBe("01 0E 00 01 FF FF FF FF FF FF FF FF CD 1D");
    expect(toHex((await h.call(0x10, Uint8Array.of(18))).payload)).not.toBe("FF FF FF FF FF FF FF FF");
  });

  test("page outside the range (incl. FFFFFFFF on an empty partition) → INVALID_PARAM, or 528 × FF", async () => {
    const h = await connect();
    const lastPage = emulator?.model.partitions[4]?.range?.lastPage as number;
    expect(await code(h, 0x11, pagesRequest(4, lastPage + 1, 1))).toBe(INVALID_PARAM);
    expect(await code(h, 0x11, pagesRequest(9, 0xffffffff, 1))).toBe(INVALID_PARAM);
    expect(await code(h, 0x12, headerRequest(4, lastPage + 1))).toBe(INVALID_PARAM);
    emulator?.setErrorPolicy({ pageOutOfRange: "ff-fill" });
    const filled = await h.call(0x11, pagesRequest(9, 0xffffffff, 1));
    expect(filled.code).toBe(ACK);
    expect(filled.payload).toEqual(new Uint8Array(528).fill(0xff));
    expect((await h.call(0x12, headerRequest(4, lastPage + 1))).payload).toEqual(
      new Uint8Array(28).fill(0xff),
    );
  });

  test("page count 0 → INVALID_PARAM whatever the policy", async () => {
    const h = await connect({ errorPolicy: { pageCount: "truncate", pageOutOfRange: "ff-fill" } });
    expect(await code(h, 0x11, pagesRequest(4, 0, 0))).toBe(INVALID_PARAM);
  });

  test("a read running past lastPage → INVALID_PARAM, or truncated to the pages that exist", async () => {
    const h = await connect();
    const lastPage = emulator?.model.partitions[4]?.range?.lastPage as number;
    expect(await code(h, 0x11, pagesRequest(4, lastPage, 2))).toBe(INVALID_PARAM);
    emulator?.setErrorPolicy({ pageCount: "truncate" });
    const reply = await h.call(0x11, pagesRequest(4, lastPage - 1, 4));
    expect(reply.code).toBe(ACK);
    expect(reply.payload.length).toBe(2 * 528);
    expect(reply.payload).toEqual(Uint8Array.from(Buffer.concat(emulator?.pages(4).slice(-2) ?? [])));
  });

  test("more pages than the per-request limit → INVALID_PARAM, NAK, or truncated", async () => {
    const h = await connect();
    expect(await code(h, 0x11, pagesRequest(4, 0, 5))).toBe(INVALID_PARAM);
    expect((await h.call(0x11, pagesRequest(4, 0, 4))).payload.length).toBe(4 * 528);
    emulator?.setErrorPolicy({ tooManyPages: "nak" });
    expect(await code(h, 0x11, pagesRequest(4, 0, 5))).toBe(NAK);
    emulator?.setErrorPolicy({ tooManyPages: "truncate" });
    expect((await h.call(0x11, pagesRequest(4, 0, 5))).payload.length).toBe(4 * 528);
  });

  test("pagesPerRequest: 1 refuses a 2-page read (the driver's fallback case)", async () => {
    const h = await connect({ pagesPerRequest: 1 });
    expect(await code(h, 0x11, pagesRequest(4, 0, 2))).toBe(INVALID_PARAM);
    expect(await code(h, 0x11, pagesRequest(4, 0, 1))).toBe(ACK);
  });

  test("WriteChargerCurrentSetting with a level above 4 → INVALID_PARAM", async () => {
    const h = await connect();
    expect(await code(h, 0x3c, Uint8Array.of(5))).toBe(INVALID_PARAM);
  });
});

describe("framing", () => {
  test("bad request CRC → exactly one NAK, even with false start-of-frame bytes inside", async () => {
    const h = await connect();
    expect(await raw(h, hex("01 06 00 0A 5E 66"))).toEqual([NAK]);
    const pages = encodePacket(0x11, pagesRequest(4, 1, 1));
    pages[pages.length - 1] = (pages[pages.length - 1] as number) ^ 0xff;
    expect(await raw(h, pages)).toEqual([NAK]);
    expect(emulator?.stats.framing.badCrc).toBeGreaterThanOrEqual(2);
    await pingStillWorks(h);
  });

  test("badCrc=silence → no reply", async () => {
    const h = await connect({ errorPolicy: { badCrc: "silence" } });
    expect(await raw(h, hex("01 06 00 0A 5E 66"))).toEqual([]);
    await pingStillWorks(h);
  });

  test("bytes before 0x01 are dropped silently; the request behind them is answered once", async () => {
    const h = await connect();
    expect(await raw(h, hex("00 FF 7E 55 01 06 00 0A 5E 65"))).toEqual([ACK]);
    expect(emulator?.stats.framing.garbageBytes).toBe(4);
  });

  test("a false start-of-frame in noise before a real request → only the answer", async () => {
    const h = await connect();
    expect(await raw(h, hex("01 00 01 06 00 0A 5E 65"))).toEqual([ACK]);
  });

  test("length field below 6 or above 64 → one NAK (or none with badLength=silence)", async () => {
    const h = await connect();
    expect(await raw(h, hex("01 03 00 0A 00 00"))).toEqual([NAK]);
    expect(await raw(h, hex("01 FF 00 0A 00 00 00 00"))).toEqual([NAK]);
    emulator?.setErrorPolicy({ badLength: "silence" });
    expect(await raw(h, hex("01 FF 00 0A 00 00 00 00"))).toEqual([]);
    await pingStillWorks(h);
  });

  test("a packet left incomplete → INCOMPLETE_PACKET_RECEIVED after the inter-byte timeout, or silence", async () => {
    const h = await connect({ errorPolicy: { incompleteTimeoutMs: 50 } });
    expect(await raw(h, hex("01 06 00"), 30)).toEqual([]);
    await sleep(80);
    expect(h.packets.map((p) => p.code)).toEqual([INCOMPLETE]);
    expect(emulator?.stats.framing.incomplete).toBe(1);
    await pingStillWorks(h);
    emulator?.setErrorPolicy({ incompletePacket: "silence" });
    expect(await raw(h, hex("01 0C 00 11"), 150)).toEqual([]);
    await pingStillWorks(h);
  });

  test("a request split across many writes is reassembled", async () => {
    const h = await connect();
    for (const byte of hex("01 06 00 22 34 C0")) await h.send(Uint8Array.of(byte));
    const [reply] = await h.waitPackets(1);
    expect(reply?.code).toBe(ACK);
    expect(reply?.payload.length).toBe(4);
  });

  test("two requests in one write → two replies, in order", async () => {
    const h = await connect();
    await h.send(Uint8Array.from([...hex("01 06 00 0A 5E 65"), ...hex("01 06 00 25 D3 B0")]));
    const replies = await h.waitPackets(2);
    expect(replies.map((p) => toHex(p.payload))).toEqual(["", "01"]);
  });

  test("random bytes never break the emulator: a Ping afterwards is answered", async () => {
    const h = await connect({ errorPolicy: { incompleteTimeoutMs: 20 } });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        await h.send(bytes);
        await sleep(30);
        h.packets.length = 0;
        await pingStillWorks(h);
      }),
      { numRuns: 40, seed: 20261124 },
    );
    expect(h.closed).toBe(false);
  });
});

test("the largest allowed page limit still fits one packet: 124 pages, 65478 bytes", async () => {
  emulator = createReceiverEmulator({ seed: 3, days: 30, now: () => NOW, pagesPerRequest: 124 });
  host = await TestHost.open(emulator.opener());
  const reply = await host.request(0x11, pagesRequest(4, 0, 124));
  expect(reply.length).toBe(6 + 124 * 528);
  expect(toHex(reply.subarray(0, 4))).toBe("01 C6 FF 01");
});

test("a command a driver must never send is logged at warn under component emulator", async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  emulator = createReceiverEmulator({ seed: 3, days: 1, now: () => NOW, log: pino({ level: "warn" }, sink) });
  host = await TestHost.open(emulator.opener());
  expect(await code(host, 45)).toBe(INVALID_COMMAND);
  await sleep(10);
  expect(lines).toEqual([expect.objectContaining({ level: 40, component: "emulator", commandId: 45 })]);
});
