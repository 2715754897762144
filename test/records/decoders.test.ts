/**
 * Record layouts without a public worked example, built byte by byte from the spec tables
 * (receiver-protocol §5.1, §5.3, §5.4, §5.6, §5.7) and decoded through the page decoder.
 */
import { describe, expect, it } from "vitest";
import { isPostableGlucose } from "../../src/records/decoders/egv.js";
import { displayedGlucose, glucoseKind, SPECIAL_GLUCOSE_LIMIT } from "../../src/records/glucose.js";
import { decodePage } from "../../src/records/page.js";
import type { DexcomRecord } from "../../src/records/record-types.js";
import { egvG4, page, record } from "./support/page-builder.js";

function one(recordType: number, revision: number, r: Uint8Array): DexcomRecord | undefined {
  const decoded = decodePage(
    page({ recordType, revision, pageNumber: 0, perPage: Math.floor(500 / r.length), records: [r] }),
    { recordType, partition: { revision, recordLength: r.length } },
  );
  expect(decoded.problems).toEqual([]);
  return decoded.records[0];
}

describe("EGV glucose word and trend byte (§5.1)", () => {
  const egv = (glucose: number, displayOnly = false) =>
    one(4, 2, egvG4({ systemSeconds: 1, displaySeconds: 1, glucose, displayOnly }));

  it("display-only is bit 15; the value is bits 0–9", () => {
    expect(egv(150, true)).toMatchObject({
      glucose: 150,
      displayOnly: true,
      glucoseFlags: 0x8000,
      special: null,
    });
  });

  it(`values below ${SPECIAL_GLUCOSE_LIMIT} are special codes; 20–38 are LOW, 402–1022 HIGH (share-api §18.4)`, () => {
    expect(egv(0)).toMatchObject({ glucose: 0, special: 0 });
    expect(egv(12)).toMatchObject({ glucose: 12, special: 12 });
    expect(egv(19)).toMatchObject({ glucose: 19, special: 19 });
    expect(egv(20)).toMatchObject({ glucose: 20, special: null });
    expect(egv(38)).toMatchObject({ glucose: 38, special: null });
    expect(egv(39)).toMatchObject({ glucose: 39, special: null });
    expect(egv(401)).toMatchObject({ glucose: 401, special: null });
    expect(egv(1023)).toMatchObject({ glucose: 1023, special: null });
    const values = [0, 19, 20, 38, 39, 40, 401, 402, 1022, 1023];
    expect(values.map(glucoseKind)).toEqual([
      "special",
      "special",
      "low",
      "low",
      "reading",
      "reading",
      "reading",
      "high",
      "high",
      "erased",
    ]);
    expect(values.map(displayedGlucose)).toEqual([
      undefined,
      undefined,
      39,
      39,
      39,
      40,
      401,
      401,
      401,
      undefined,
    ]);
  });

  it("readings from LOW to HIGH are postable; special codes, erased flash and display-only are not", () => {
    const postable = (g: number, d = false) => {
      const r = egv(g, d);
      return r?.kind === "egv" && isPostableGlucose(r);
    };
    const values = [5, 19, 20, 38, 39, 120, 401, 402, 1022, 1023];
    expect(values.map((g) => postable(g))).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(postable(120, true)).toBe(false);
  });

  it("the immediate-match bit (7) of the trend byte does not leak into noise or trend", () => {
    const r = record(13, (b) => {
      b.writeUInt16LE(100, 8);
      b.writeUInt8(0xf9, 10); // bit 7 set, noise 7, trend 9
    });
    expect(one(4, 1, r)).toMatchObject({ trend: 9, noise: 7 });
  });
});

describe("METER rev 3 (21 bytes, §5.3)", () => {
  it("reads the meter time at offset 11 after the entry-type byte", () => {
    const r = record(21, (b) => {
      b.writeUInt32LE(500_000_030, 0);
      b.writeUInt32LE(500_003_630, 4);
      b.writeUInt16LE(142, 8);
      b.writeUInt8(1, 10);
      b.writeUInt32LE(500_000_000, 11);
      b.writeUInt32LE(0xffffffff, 15);
    });
    expect(one(10, 3, r)).toEqual({
      kind: "meter",
      recordType: 10,
      index: 0,
      systemSeconds: 500_000_030,
      displaySeconds: 500_003_630,
      meterGlucose: 142,
      meterSeconds: 500_000_000,
      entryType: 1,
      meterTransmitterSeconds: 0xffffffff,
    });
  });
});

describe("INSERTION rev ≥ 2 (25 bytes, §5.4)", () => {
  it("adds the number and the 6-character transmitter id", () => {
    const r = record(25, (b) => {
      b.writeUInt32LE(450_000_000, 0);
      b.writeUInt32LE(450_003_600, 4);
      b.writeUInt32LE(449_999_000, 8);
      b.writeUInt8(7, 12);
      b.writeUInt32LE(3, 13);
      b.write("8G1234", 17, "latin1");
    });
    expect(one(7, 2, r)).toMatchObject({
      insertionSeconds: 449_999_000,
      sessionState: 7,
      sessionNumber: 3,
      transmitterId: "8G1234",
    });
  });
});

describe("USER_EVENT (20 bytes, §5.6)", () => {
  it("insulin 3.50 U entered on the display clock", () => {
    const r = record(20, (b) => {
      b.writeUInt32LE(148_000_000, 0);
      b.writeUInt32LE(147_974_838, 4);
      b.writeUInt8(2, 8);
      b.writeUInt8(1, 9);
      b.writeUInt32LE(147_974_800, 10);
      b.writeUInt32LE(350, 14);
    });
    expect(one(11, 1, r)).toEqual({
      kind: "event",
      recordType: 11,
      index: 0,
      systemSeconds: 148_000_000,
      displaySeconds: 147_974_838,
      eventType: 2,
      eventSubType: 1,
      eventDisplaySeconds: 147_974_800,
      value: 350,
    });
  });
});

describe("USER_SETTING (§5.7)", () => {
  const common = (b: Buffer, u16At: number, profileAt: number) => {
    b.writeUInt32LE(148_000_000, 0);
    b.writeUInt32LE(147_974_839, 4);
    b.writeInt32LE(-25_161, 12);
    [200, 30, 70, 30, 2, 3, 60, 0x0409].forEach((v, i) => {
      b.writeUInt16LE(v, u16At + 2 * i);
    });
    b.writeUInt8(3, profileAt);
    b.writeUInt8(5, profileAt + 1);
  };
  const alarms = {
    highAlarmMgdl: 200,
    highAlarmSnoozeMinutes: 30,
    lowAlarmMgdl: 70,
    lowAlarmSnoozeMinutes: 30,
    riseRate: 2,
    fallRate: 3,
    outOfRangeSnoozeMinutes: 60,
    language: 0x0409,
    alarmProfile: 3,
    setUpState: 5,
    displayTimeOffsetSeconds: -25_161,
  };

  it("G4 rev 3, 48 bytes: 5×5-bit transmitter id", () => {
    const r = record(48, (b) => {
      common(b, 24, 40);
      b.writeUInt32LE(126_467_628, 8);
      b.writeUInt32LE(0x00652d8d, 16);
      b.writeUInt32LE(0x0031, 20);
    });
    expect(one(12, 3, r)).toMatchObject({
      ...alarms,
      systemTimeOffsetSeconds: 126_467_628,
      transmitterId: "6ABCD",
      enableFlags: 0x31,
      urgentLowSoonSnoozeMinutes: null,
      brightness: null,
      sensorCode: null,
      graphHeight: null,
    });
  });

  it("rev 5, 50 bytes: ASCII transmitter id, fields from 26", () => {
    const r = record(50, (b) => {
      common(b, 26, 42);
      b.writeInt32LE(-5, 8);
      b.write("8G1234", 16, "latin1");
      b.writeUInt32LE(0x0130, 22);
    });
    expect(one(12, 5, r)).toMatchObject({
      ...alarms,
      systemTimeOffsetSeconds: -5,
      transmitterId: "8G1234",
      enableFlags: 0x130,
      sensorCode: null,
    });
  });

  it("rev 6, 60 bytes: urgent-low-soon snooze, brightness, sensor code, graph height", () => {
    const r = record(60, (b) => {
      common(b, 26, 42);
      b.write("8G1234", 16, "latin1");
      b.writeUInt16LE(30, 44);
      b.writeUInt8(2, 46);
      b.write("5678", 47, "latin1");
      b.writeUInt8(250, 52);
    });
    expect(one(12, 6, r)).toMatchObject({
      ...alarms,
      transmitterId: "8G1234",
      urgentLowSoonSnoozeMinutes: 30,
      brightness: 2,
      sensorCode: "5678",
      graphHeight: 250,
    });
  });
});
