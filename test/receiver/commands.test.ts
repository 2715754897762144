/**
 * Golden bytes of spec receiver-protocol §2.4: every request and response listed there.
 */
import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import * as C from "../../src/receiver/commands.js";
import { SENDABLE_COMMAND_IDS } from "../../src/wire/command-ids.js";
import { writeTrailingCrc } from "../../src/wire/crc16.js";
import { decodePacket, encodePacket } from "../../src/wire/packet.js";
import { decodePageHeader } from "../../src/wire/page.js";
import { ACK } from "../../src/wire/response-codes.js";
import { ascii, hex, toHex } from "../support/hex.js";

function request<A extends unknown[]>(codec: C.CommandCodec<A, unknown>, ...args: A): string {
  return toHex(encodePacket(codec.id, codec.encode(...args)));
}

function ackPayload(bytes: string | Uint8Array): Uint8Array {
  const packet = decodePacket(typeof bytes === "string" ? hex(bytes) : bytes);
  expect(packet.code).toBe(ACK);
  return packet.payload;
}

describe("requests (§2.4)", () => {
  it.each<[string, () => string, string]>([
    ["Ping", () => request(C.Ping), "01 06 00 0A 5E 65"],
    ["ReadFirmwareHeader", () => request(C.ReadFirmwareHeader), "01 06 00 0B 7F 75"],
    ["ReadDatabasePartitionInfo", () => request(C.ReadDatabasePartitionInfo), "01 06 00 0F FB 35"],
    ["ReadDatabasePageRange EGV", () => request(C.ReadDatabasePageRange, 4), "01 07 00 10 04 8B B8"],
    [
      "ReadDatabasePages CAL_SET 0x26 ×1",
      () => request(C.ReadDatabasePages, 5, 0x26, 1),
      "01 0C 00 11 05 26 00 00 00 01 5E C3",
    ],
    [
      "ReadDatabasePages EGV 1465 ×4",
      () => request(C.ReadDatabasePages, 4, 1465, 4),
      "01 0C 00 11 04 B9 05 00 00 04 6D 29",
    ],
    [
      "ReadDatabasePageHeader EGV 1465",
      () => request(C.ReadDatabasePageHeader, 4, 1465),
      "01 0B 00 12 04 B9 05 00 00 18 CC",
    ],
    ["ReadTransmitterID", () => request(C.ReadTransmitterID), "01 06 00 19 0C 47"],
    ["ReadLanguage", () => request(C.ReadLanguage), "01 06 00 1B 4E 67"],
    ["ReadDisplayTimeOffset", () => request(C.ReadDisplayTimeOffset), "01 06 00 1D 88 07"],
    ["ReadRTC", () => request(C.ReadRTC), "01 06 00 1F CA 27"],
    ["ReadBatteryLevel", () => request(C.ReadBatteryLevel), "01 06 00 21 57 F0"],
    ["ReadSystemTime", () => request(C.ReadSystemTime), "01 06 00 22 34 C0"],
    ["ReadSystemTimeOffset", () => request(C.ReadSystemTimeOffset), "01 06 00 23 15 D0"],
    ["ReadGlucoseUnit", () => request(C.ReadGlucoseUnit), "01 06 00 25 D3 B0"],
    ["ReadBlindedMode", () => request(C.ReadBlindedMode), "01 06 00 27 91 90"],
    ["ReadClockMode", () => request(C.ReadClockMode), "01 06 00 29 5F 71"],
    ["ReadDeviceMode", () => request(C.ReadDeviceMode), "01 06 00 2B 1D 51"],
    ["ReadBatteryState", () => request(C.ReadBatteryState), "01 06 00 30 47 F2"],
    ["ReadFirmwareSettings", () => request(C.ReadFirmwareSettings), "01 06 00 36 81 92"],
    ["ReadChargerCurrentSetting", () => request(C.ReadChargerCurrentSetting), "01 06 00 3B 2C 43"],
    [
      "WriteChargerCurrentSetting Power100mA",
      () => request(C.WriteChargerCurrentSetting, 1),
      "01 07 00 3C 01 A5 AB",
    ],
    [
      "WriteDisplayTimeOffset −25200 s",
      () => request(C.WriteDisplayTimeOffset, -25200),
      "01 0A 00 1E 90 9D FF FF 97 9E",
    ],
  ])("%s", (_, build, expected) => {
    expect(build()).toBe(expected);
  });

  // Rows of §2.4 for commands the driver has no codec for: the packet layer still frames them as
  // the spec shows, and none of them is sendable.
  it.each([
    [0x2e, "", "01 06 00 2E B8 01"], // ShutdownReceiver — never send
    [0x31, "", "01 06 00 31 66 E2"], // ReadHardwareBoardId
    [0x33, "F8 04 00 00", "01 0A 00 33 F8 04 00 00 EF 90"], // ReadFlashPage 1272
    [0x37, "", "01 06 00 37 A0 82"], // ReadEnableSetupWizardFlag
    [0x39, "", "01 06 00 39 6E 63"], // ReadSetupWizardState
  ])("frames id 0x%s as the spec shows, and it is not sendable", (id, payload, expected) => {
    expect(toHex(encodePacket(id, hex(payload)))).toBe(expected);
    expect(SENDABLE_COMMAND_IDS.has(id)).toBe(false);
  });

  it("can never send the commands the spec marks never send / do not use (§3.1)", () => {
    for (const id of [
      0x1a, 0x1c, 0x20, 0x24, 0x26, 0x28, 0x2a, 0x2d, 0x2e, 0x2f, 0x32, 0x34, 0x35, 0x38, 0x3a,
    ]) {
      expect(SENDABLE_COMMAND_IDS.has(id)).toBe(false);
    }
    expect([...SENDABLE_COMMAND_IDS].sort((a, b) => a - b)).toEqual([
      0x0a, 0x0b, 0x0f, 0x10, 0x11, 0x12, 0x19, 0x1b, 0x1d, 0x1e, 0x1f, 0x21, 0x22, 0x23, 0x25, 0x27, 0x29,
      0x2b, 0x30, 0x36, 0x3b, 0x3c,
    ]);
  });

  it("has a codec for exactly the sendable ids, each under its §3.1 name", () => {
    const codecs = Object.values(C.COMMANDS);
    expect(codecs.map((c) => c.id).sort((a, b) => a - b)).toEqual(
      [...SENDABLE_COMMAND_IDS].sort((a, b) => a - b),
    );
    expect(Object.entries(C.COMMANDS).every(([name, codec]) => codec.name === name)).toBe(true);
  });

  it("validates arguments before building a request", () => {
    for (const build of [
      () => C.ReadDatabasePageRange.encode(256),
      () => C.ReadDatabasePages.encode(4, 0xffffffff, 1),
      () => C.ReadDatabasePages.encode(4, 1, 0),
      () => C.ReadDatabasePages.encode(4, -1, 1),
      () => C.WriteDisplayTimeOffset.encode(2 ** 31),
      () => C.WriteChargerCurrentSetting.encode(5),
    ]) {
      expect(build).toThrowError(/REQUEST_INVALID/);
    }
  });
});

const FIRMWARE_HEADER_XML =
  "<FirmwareHeader SchemaVersion='1' ApiVersion='2.2.0.0' TestApiVersion='2.4.0.0' ProductId='G4Receiver' " +
  "ProductName='Dexcom G4 Receiver' SoftwareNumber='SW10050' FirmwareVersion='2.0.1.104' " +
  "PortVersion='4.6.4.45' RFVersion='1.0.0.27' DexBootVersion='3'/>";

describe("responses (§2.4)", () => {
  it("Ping: bare ACK", () => {
    expect(C.Ping.decode(ackPayload("01 06 00 01 35 D4"))).toBeUndefined();
  });

  it("ReadFirmwareHeader: 259 bytes, 253 of XML, CRC D8 D4", () => {
    const xml = ascii(FIRMWARE_HEADER_XML);
    expect(xml.length).toBe(253);
    const packet = encodePacket(ACK, xml);
    expect(toHex(packet.subarray(0, 4))).toBe("01 03 01 01");
    expect(toHex(packet.subarray(-2))).toBe("D8 D4");
    expect(C.ReadFirmwareHeader.decode(ackPayload(packet))).toEqual({
      SchemaVersion: "1",
      ApiVersion: "2.2.0.0",
      TestApiVersion: "2.4.0.0",
      ProductId: "G4Receiver",
      ProductName: "Dexcom G4 Receiver",
      SoftwareNumber: "SW10050",
      FirmwareVersion: "2.0.1.104",
      PortVersion: "4.6.4.45",
      RFVersion: "1.0.0.27",
      DexBootVersion: "3",
    });
  });

  it("clocks: system time, display offset, system offset, RTC (RTC + offset = system time)", () => {
    const system = C.ReadSystemTime.decode(ackPayload("01 0A 00 01 C9 C5 D7 08 A0 9E"));
    const display = C.ReadDisplayTimeOffset.decode(ackPayload("01 0A 00 01 B7 9D FF FF 57 99"));
    const systemOffset = C.ReadSystemTimeOffset.decode(ackPayload("01 0A 00 01 2C BE 89 07 A9 52"));
    const rtc = C.ReadRTC.decode(ackPayload("01 0A 00 01 9D 07 4E 01 A7 5A"));
    expect(system).toBe(148358601);
    expect(new Date(Date.UTC(2009, 0, 1) + system * 1000).toISOString()).toBe("2013-09-14T02:43:21.000Z");
    expect(display).toBe(-25161);
    expect(systemOffset).toBe(126467628);
    expect(rtc).toBe(21890973);
    expect(rtc + systemOffset).toBe(system);
  });

  it("scalar settings", () => {
    expect(C.ReadLanguage.decode(ackPayload("01 08 00 01 09 04 A1 8A"))).toBe(0x0409);
    expect(C.ReadGlucoseUnit.decode(ackPayload("01 07 00 01 01 6C D8"))).toBe(1);
    expect(C.ReadBlindedMode.decode(ackPayload("01 07 00 01 00 4D C8"))).toBe(false);
    expect(C.ReadClockMode.decode(ackPayload("01 07 00 01 01 6C D8"))).toBe(1);
    expect(C.ReadDeviceMode.decode(ackPayload("01 07 00 01 00 4D C8"))).toBe(0);
    expect(C.ReadTransmitterID.decode(ackPayload("01 0B 00 01 36 41 42 43 44 7D 82"))).toBe("6ABCD");
  });

  it("page ranges, including the empty partition", () => {
    expect(
      C.ReadDatabasePageRange.decode(ackPayload("01 0E 00 01 DA 04 00 00 C0 05 00 00 27 85"), 4),
    ).toEqual({
      firstPage: 1242,
      lastPage: 1472,
    });
    expect(
      C.ReadDatabasePageRange.decode(ackPayload("01 0E 00 01 FF FF FF FF FF FF FF FF CD 1D"), 9),
    ).toBeUndefined();
    expect(
      C.ReadDatabasePageRange.decode(ackPayload("01 0E 00 01 01 00 00 00 02 00 00 00 97 11"), 1),
    ).toEqual({
      firstPage: 1,
      lastPage: 2,
    });
  });

  it("page header of EGV page 1465", () => {
    const response = hex(
      "01 22 00 01 76 D9 00 00 26 00 00 00 04 02 B9 05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 9F 39 17 00",
    );
    const header = C.ReadDatabasePageHeader.decode(ackPayload(response), 4, 1465);
    expect(header.length).toBe(28);
    expect(decodePageHeader(header)).toEqual({
      firstRecordIndex: 55670,
      recordCount: 38,
      recordType: 4,
      revision: 2,
      pageNumber: 1465,
    });
  });

  it("ReadFirmwareSettings", () => {
    const packet = encodePacket(ACK, ascii('<FirmwareSettings FirmwareImageId="" />'));
    expect(toHex(packet.subarray(0, 4))).toBe("01 2D 00 01");
    expect(toHex(packet.subarray(-2))).toBe("85 20");
    expect(C.ReadFirmwareSettings.decode(ackPayload(packet))).toEqual({ FirmwareImageId: "" });
  });

  it("ReadChargerCurrentSetting accepts both disputed widths (§9.1)", () => {
    expect(C.ReadChargerCurrentSetting.decode(hex("02"))).toBe(2);
    expect(C.ReadChargerCurrentSetting.decode(hex("03 00 00 00"))).toBe(3);
  });

  it.each<[string, () => unknown]>([
    ["ReadSystemTime with 3 bytes", () => C.ReadSystemTime.decode(hex("01 02 03"))],
    ["Ping with a payload", () => C.Ping.decode(hex("00"))],
    ["page range first > last", () => C.ReadDatabasePageRange.decode(hex("05 00 00 00 04 00 00 00"), 4)],
    ["page range half empty", () => C.ReadDatabasePageRange.decode(hex("FF FF FF FF 04 00 00 00"), 4)],
    ["pages of the wrong size", () => C.ReadDatabasePages.decode(new Uint8Array(527), 4, 1, 1)],
    ["a page of another type", () => C.ReadDatabasePages.decode(new Uint8Array(528), 4, 0, 1)],
    ["transmitter id not printable", () => C.ReadTransmitterID.decode(hex("36 00 42"))],
    ["firmware header not XML", () => C.ReadFirmwareHeader.decode(ascii("hello"))],
    ["firmware header non-ASCII", () => C.ReadFirmwareHeader.decode(hex("3C C3 A9 2F 3E"))],
    ["partition info without root", () => C.ReadDatabasePartitionInfo.decode(ascii("<Partition Id='1'/>"))],
    ["charger setting of 2 bytes", () => C.ReadChargerCurrentSetting.decode(hex("01 00"))],
  ])("malformed: %s → RESPONSE_MALFORMED", (_, decode) => {
    try {
      decode();
      expect.unreachable();
    } catch (error) {
      expect(isSharebridgeError(error, "RESPONSE_MALFORMED")).toBe(true);
    }
  });

  it("passes on a page whose header fails its own CRC (damaged flash) for the page decoder to report", () => {
    const page = new Uint8Array(528).fill(0xff);
    page[8] = 4;
    page[10] = 7;
    const [only] = C.ReadDatabasePages.decode(page, 4, 7, 1);
    expect(only?.length).toBe(528);
    // Intact header naming another page: a misplaced reply.
    const other = new Uint8Array(528);
    other[8] = 4;
    other[10] = 8;
    writeTrailingCrc(other, 0, 26);
    expect(() => C.ReadDatabasePages.decode(other, 4, 7, 1)).toThrow(/RESPONSE_MALFORMED/);
  });

  it("decodes the G4 PartitionInfo document (§4.2)", () => {
    const rows: [string, number, number, number][] = [
      ["ManufacturingData", 0, 1, 500],
      ["FirmwareParameterData", 1, 1, 500],
      ["PCSoftwareParameter", 2, 1, 500],
      ["SensorData", 3, 1, 20],
      ["EGVData", 4, 2, 13],
      ["CalSet", 5, 2, 148],
      ["Aberration", 6, 1, 15],
      ["InsertionTime", 7, 1, 15],
      ["ReceiverLogData", 8, 1, 20],
      ["ReceiverErrorData", 9, 1, 500],
      ["MeterData", 10, 1, 16],
      ["UserEventData", 11, 1, 20],
      ["UserSettingData", 12, 3, 48],
    ];
    const xml =
      "<PartitionInfo SchemaVersion='1' PageHeaderVersion='1' PageDataLength='500'>" +
      rows
        .map(
          ([n, id, rev, len]) =>
            `<Partition Name='${n}' Id='${id}' RecordRevision='${rev}' RecordLength='${len}'/>`,
        )
        .join("") +
      "</PartitionInfo>";
    const info = C.ReadDatabasePartitionInfo.decode(ascii(xml));
    expect(info.pageDataLength).toBe(500);
    expect(info.schemaVersion).toBe("1");
    expect(info.partitions.map((p) => [p.name, p.id, p.revision, p.recordLength])).toEqual(rows);
  });
});
