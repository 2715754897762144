/** Fault injection (DESIGN.md §9): parsing, and each fault kind as seen at the byte level. */
import { afterEach, describe, expect, test } from "vitest";
import { parseFaultSpec } from "../../../src/emulator/receiver/faults.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import { isSharebridgeError } from "../../../src/errors.js";
import { crc16 } from "../../../src/wire/crc16.js";
import { encodePacket } from "../../../src/wire/packet.js";
import { NOW, pagesRequest, sleep, TestHost, toHex } from "./helpers.js";

let emulator: ReceiverEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function start(faults: string): ReceiverEmulator {
  emulator = createReceiverEmulator({ profile: "g4", seed: 9, days: 2, now: () => NOW, faults });
  return emulator;
}

const PING = encodePacket(0x0a);
const PING_ACK = "01 06 00 01 35 D4";

describe("parseFaultSpec", () => {
  test("reads every kind", () => {
    expect(parseFaultSpec("crc=0.05,nak=0.05,silence=0.02,garbage=0.1,split=0.3,unplug-after=20")).toEqual({
      crc: 0.05,
      nak: 0.05,
      silence: 0.02,
      garbage: 0.1,
      split: 0.3,
      unplugAfter: 20,
    });
    expect(parseFaultSpec("error=1, short=0 ,unplug-every=3")).toEqual({
      error: 1,
      short: 0,
      unplugEvery: 3,
    });
    expect(parseFaultSpec("")).toEqual({});
  });

  test.each([
    ["crc=2", /probability/],
    ["crc=-0.1", /bad item/],
    ["crc", /bad item/],
    ["cosmic=0.1", /bad item/],
    ["unplug-after=1.5", /whole number/],
    ["crc=0.6,nak=0.6", /must not exceed 1/],
    ["crc=0.1,crc=0.2", /given twice/],
    ["crc=0x10", /bad item/],
  ])("refuses %s with a USAGE error naming the problem", (spec, message) => {
    try {
      parseFaultSpec(spec);
      expect.unreachable();
    } catch (error) {
      expect(isSharebridgeError(error, "USAGE")).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });

  test("an invalid fault object is a CONFIG_INVALID at creation", () => {
    expect(() => createReceiverEmulator({ faults: { crc: 1.5 } })).toThrow(/CONFIG_INVALID/);
  });
});

describe("each fault, byte by byte", () => {
  test("crc=1: a valid packet with a wrong CRC", async () => {
    const emu = start("crc=1");
    const host = await TestHost.open(emu.opener());
    await host.send(PING);
    await sleep(60);
    const bytes = host.bytes;
    expect(toHex(bytes.subarray(0, 4))).toBe("01 06 00 01");
    expect(bytes.length).toBe(6);
    expect((bytes[4] as number) | ((bytes[5] as number) << 8)).not.toBe(crc16(bytes, 0, 4));
    expect(host.packets).toEqual([]);
    expect(emu.stats.faults.crc).toBe(1);
    await host.close();
  });

  test("nak=1 and error=1 replace the answer", async () => {
    const nak = start("nak=1");
    let host = await TestHost.open(nak.opener());
    expect(toHex(await host.request(0x22))).toBe(toHex(encodePacket(2)));
    await host.close();
    await nak.close();
    const error = start("error=1");
    host = await TestHost.open(error.opener());
    expect(toHex(await host.request(0x22))).toBe(toHex(encodePacket(6)));
    await host.close();
  });

  test("silence=1: nothing at all", async () => {
    const emu = start("silence=1");
    const host = await TestHost.open(emu.opener());
    await host.send(PING);
    await sleep(100);
    expect(host.bytes.length).toBe(0);
    expect(emu.stats.faults.silence).toBe(1);
    await host.close();
  });

  test("short=1: a well-formed packet whose payload length is wrong for the command", async () => {
    const emu = start("short=1");
    const host = await TestHost.open(emu.opener());
    const time = await host.call(0x22);
    expect(time.code).toBe(1);
    expect(time.payload.length).toBeLessThan(4);
    const ping = await host.call(0x0a);
    expect(ping.payload.length).toBe(1);
    await host.close();
  });

  test("garbage=1: 1–16 bytes without 0x01, then the intact reply", async () => {
    const emu = start("garbage=1");
    const host = await TestHost.open(emu.opener());
    await host.send(PING);
    await host.waitPackets(1);
    const bytes = host.bytes;
    const sof = bytes.indexOf(0x01);
    expect(sof).toBeGreaterThanOrEqual(1);
    expect(sof).toBeLessThanOrEqual(16);
    expect(toHex(bytes.subarray(sof))).toBe(PING_ACK);
    expect(host.discarded.map((d) => d.kind === "discarded" && d.reason)).toEqual(["no-sof"]);
    await host.close();
  });

  test("split=1: a 4-page reply arrives in 2–5 writes that join to the exact bytes", async () => {
    const emu = start("split=1");
    const host = await TestHost.open(emu.opener());
    await host.send(encodePacket(0x11, pagesRequest(4, 0, 4)));
    await host.waitPackets(1);
    expect(host.chunks.length).toBeGreaterThanOrEqual(2);
    expect(host.chunks.length).toBeLessThanOrEqual(5);
    expect(host.packets[0]?.payload).toEqual(Uint8Array.from(Buffer.concat(emu.pages(4).slice(0, 4))));
    await host.close();
  });

  test("unplug-after=2: two replies, then part of the third and the device is gone; the next open works", async () => {
    const emu = start("unplug-after=2");
    const host = await TestHost.open(emu.opener());
    expect(toHex(await host.request(0x0a))).toBe(PING_ACK);
    expect(toHex(await host.request(0x0a))).toBe(PING_ACK);
    await host.send(encodePacket(0x11, pagesRequest(4, 0, 4)));
    await sleep(60);
    expect(host.closed).toBe(true);
    expect(isSharebridgeError(host.closedWith, "DEVICE_DISCONNECTED")).toBe(true);
    const partial = host.chunks.slice(2);
    const received = partial.reduce((n, c) => n + c.length, 0);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(2118);
    expect(host.packets.length).toBe(2);
    expect(emu.stats.faults.unplug).toBe(1);
    // One-shot: a new connection is served normally.
    const again = await TestHost.open(emu.opener());
    for (let i = 0; i < 5; i++) expect(toHex(await again.request(0x0a))).toBe(PING_ACK);
    await again.close();
  });

  test("unplug-every=3 cuts every third reply", async () => {
    const emu = start("unplug-every=3");
    for (let round = 0; round < 2; round++) {
      const host = await TestHost.open(emu.opener());
      for (let i = 0; i < 3; i++) expect(toHex(await host.request(0x0a))).toBe(PING_ACK);
      await host.send(PING);
      await sleep(40);
      expect(host.closed).toBe(true);
    }
    expect(emu.stats.faults.unplug).toBe(2);
  });

  test("faults are seeded: the same requests meet the same faults", async () => {
    const outcome = async () => {
      const emu = createReceiverEmulator({
        seed: 4,
        days: 1,
        now: () => NOW,
        faults: "crc=0.3,nak=0.3,garbage=0.3",
      });
      const host = await TestHost.open(emu.opener());
      for (let i = 0; i < 20; i++) {
        await host.send(PING);
        await sleep(5);
      }
      await sleep(30);
      const bytes = toHex(host.bytes);
      await host.close();
      await emu.close();
      return bytes;
    };
    expect(await outcome()).toBe(await outcome());
  });

  test("setFaults switches faults at run time", async () => {
    const emu = start("");
    const host = await TestHost.open(emu.opener());
    expect(toHex(await host.request(0x0a))).toBe(PING_ACK);
    emu.setFaults("nak=1");
    expect(toHex(await host.request(0x0a))).toBe(toHex(encodePacket(2)));
    emu.setFaults({});
    expect(toHex(await host.request(0x0a))).toBe(PING_ACK);
    await host.close();
  });
});
