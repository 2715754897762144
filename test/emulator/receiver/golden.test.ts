/**
 * The responses of spec receiver-protocol §2.4 that the emulator reproduces byte for byte when put in
 * the same state as the captured receiver.
 */
import { afterEach, describe, expect, test } from "vitest";
import { createReceiverEmulator, type ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import { RECEIVER_EPOCH_MS } from "../../../src/wire/epoch.js";
import { encodePacket } from "../../../src/wire/packet.js";
import { ascii, hex, NOW, pagesRequest, TestHost, toHex } from "./helpers.js";

const G4_FIRMWARE_HEADER =
  "<FirmwareHeader SchemaVersion='1' ApiVersion='2.2.0.0' TestApiVersion='2.4.0.0' ProductId='G4Receiver' " +
  "ProductName='Dexcom G4 Receiver' SoftwareNumber='SW10050' FirmwareVersion='2.0.1.104' " +
  "PortVersion='4.6.4.45' RFVersion='1.0.0.27' DexBootVersion='3'/>";

/** A G4 whose clocks read exactly what the captured receiver's did (§2.4, §6.1). */
function capturedG4(): ReceiverEmulator {
  return createReceiverEmulator({
    profile: "g4",
    seed: 11,
    now: () => NOW,
    transmitterId: "6ABCD",
    clock: {
      systemSkewSeconds: 148_358_601 - Math.floor((NOW - RECEIVER_EPOCH_MS) / 1000),
      rtcSeconds: 21_890_973,
      displayOffsetSeconds: -25_161,
    },
  });
}

let emulator: ReceiverEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function exchange(emu: ReceiverEmulator, request: string): Promise<string> {
  const host = await TestHost.open(emu.opener());
  await host.send(hex(request));
  await host.waitPackets(1);
  await host.close();
  return toHex(host.bytes);
}

describe("§2.4 responses", () => {
  test.each(
    [
      ["Ping", "01 06 00 0A 5E 65", "01 06 00 01 35 D4"],
      ["ReadSystemTime", "01 06 00 22 34 C0", "01 0A 00 01 C9 C5 D7 08 A0 9E"],
      ["ReadDisplayTimeOffset", "01 06 00 1D 88 07", "01 0A 00 01 B7 9D FF FF 57 99"],
      ["ReadSystemTimeOffset", "01 06 00 23 15 D0", "01 0A 00 01 2C BE 89 07 A9 52"],
      ["ReadRTC", "01 06 00 1F CA 27", "01 0A 00 01 9D 07 4E 01 A7 5A"],
      ["ReadLanguage", "01 06 00 1B 4E 67", "01 08 00 01 09 04 A1 8A"],
      ["ReadGlucoseUnit", "01 06 00 25 D3 B0", "01 07 00 01 01 6C D8"],
      ["ReadBlindedMode", "01 06 00 27 91 90", "01 07 00 01 00 4D C8"],
      ["ReadClockMode", "01 06 00 29 5F 71", "01 07 00 01 01 6C D8"],
      ["ReadDeviceMode", "01 06 00 2B 1D 51", "01 07 00 01 00 4D C8"],
      ["ReadTransmitterID", "01 06 00 19 0C 47", "01 0B 00 01 36 41 42 43 44 7D 82"],
    ].filter(([, , expected]) => expected !== ""),
  )("%s", async (_name, request, expected) => {
    emulator = capturedG4();
    expect(await exchange(emulator, request as string)).toBe(expected);
  });

  test("ReadDatabasePageRange of an empty partition answers FFFFFFFF FFFFFFFF", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    const reply = await host.request(0x10, Uint8Array.of(9));
    expect(toHex(reply)).toBe("01 0E 00 01 FF FF FF FF FF FF FF FF CD 1D");
    await host.close();
  });

  test("ReadDatabasePageRange of a partition holding pages 1..2", async () => {
    emulator = createReceiverEmulator({ profile: "g4", seed: 7, now: () => NOW });
    // Meter data: 31 records a page; this seed has 63 of them, pages 0..2. Wrap away page 0.
    expect(emulator.model.partitions[10]?.range).toEqual({ firstPage: 0, lastPage: 2 });
    expect(emulator.dropOldestPages(10, 1)).toBe(1);
    const host = await TestHost.open(emulator.opener());
    expect(toHex(await host.request(0x10, Uint8Array.of(10)))).toBe(
      "01 0E 00 01 01 00 00 00 02 00 00 00 97 11",
    );
    await host.close();
  });

  test("ReadFirmwareHeader: 259 bytes, the captured XML verbatim, CRC D8 D4", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    const reply = await host.request(0x0b);
    expect(reply.length).toBe(259);
    expect(toHex(reply.subarray(0, 4))).toBe("01 03 01 01");
    expect(Buffer.from(reply.subarray(4, 257)).toString("latin1")).toBe(G4_FIRMWARE_HEADER);
    expect(toHex(reply.subarray(257))).toBe("D8 D4");
    await host.close();
  });

  test("ReadFirmwareSettings: the 39-byte G4 document, CRC 85 20", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    const reply = await host.request(0x36);
    expect(toHex(reply)).toBe(`01 2D 00 01 ${toHex(ascii('<FirmwareSettings FirmwareImageId="" />'))} 85 20`);
    await host.close();
  });

  test("ReadDatabasePartitionInfo: the captured 1104-byte G4 document", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    const reply = await host.call(0x0f);
    const text = Buffer.from(reply.payload).toString("latin1");
    expect(reply.code).toBe(1);
    expect(reply.payload.length).toBe(1104);
    expect(
      text.startsWith("<PartitionInfo SchemaVersion='1' PageHeaderVersion='1' PageDataLength='500'>"),
    ).toBe(true);
    expect(text).toContain("<Partition Name='EGVData' Id='4' RecordRevision='2' RecordLength='13'/>");
    expect(text).toContain(
      "<Partition Name='UserSettingData' Id='12' RecordRevision='3' RecordLength='48'/>",
    );
    expect(text.endsWith("</PartitionInfo>")).toBe(true);
    expect(text).not.toMatch(/>\s+</);
    await host.close();
  });

  test("ReadFlashPage(1272) answers 528 × FF", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    await host.send(hex("01 0A 00 33 F8 04 00 00 EF 90"));
    const [reply] = await host.waitPackets(1);
    expect(reply?.code).toBe(1);
    expect(reply?.payload).toEqual(new Uint8Array(528).fill(0xff));
    await host.close();
  });

  test("a 4-page read answers 2118 bytes beginning 01 46 08 01", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    const reply = await host.request(0x11, pagesRequest(4, 0, 4));
    expect(reply.length).toBe(2118);
    expect(toHex(reply.subarray(0, 4))).toBe("01 46 08 01");
    const pages = emulator.pages(4);
    expect(reply.subarray(4, 4 + 4 * 528)).toEqual(Uint8Array.from(Buffer.concat(pages.slice(0, 4))));
    await host.close();
  });

  test("ReadDatabasePageHeader answers 34 bytes: 01 22 00 01 + the page's 28-byte header", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    const reply = await host.request(0x12, Uint8Array.of(4, 5, 0, 0, 0));
    expect(reply.length).toBe(34);
    expect(toHex(reply.subarray(0, 4))).toBe("01 22 00 01");
    expect(reply.subarray(4, 32)).toEqual(emulator.pages(4)[5]?.subarray(0, 28));
    await host.close();
  });

  test("WriteDisplayTimeOffset −25200 (computed request) is acknowledged and takes effect", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    await host.send(hex("01 0A 00 1E 90 9D FF FF 97 9E"));
    await host.waitPackets(1);
    expect(toHex(host.bytes)).toBe("01 06 00 01 35 D4");
    const offset = await host.call(0x1d);
    expect(toHex(offset.payload)).toBe("90 9D FF FF");
    // A settings record notes the change (§5.7), carrying the new offset and the time written.
    const settings = emulator.model.partitions[12]?.records.at(-1);
    expect(settings).toMatchObject({
      kind: "settings",
      displayTimeOffset: -25_200,
      systemSeconds: 148_358_601,
    });
    expect(settings?.displaySeconds).toBe(148_358_601 - 25_200);
    await host.close();
  });

  test("WriteChargerCurrentSetting then ReadChargerCurrentSetting, 1-byte and 4-byte widths", async () => {
    emulator = capturedG4();
    const host = await TestHost.open(emulator.opener());
    await host.send(hex("01 07 00 3C 01 A5 AB"));
    await host.waitPackets(1);
    expect(toHex(host.bytes)).toBe("01 06 00 01 35 D4");
    expect(toHex(await host.request(0x3b))).toBe(toHex(encodePacket(1, Uint8Array.of(1))));
    await host.close();
    await emulator.close();
    emulator = createReceiverEmulator({ seed: 11, now: () => NOW, chargerCurrentWidth: 4 });
    const wide = await TestHost.open(emulator.opener());
    const reply = await wide.call(0x3b);
    expect(toHex(reply.payload)).toBe("02 00 00 00");
    await wide.close();
  });
});
