/**
 * The worked examples of spec receiver-protocol §2.4 (page header reply), §5.1 (EGV), §5.3 (meter),
 * §5.4 (insertion facts) and §5.7 (transmitter id), byte for byte. Single records are placed in a
 * page built per §4.3/§4.5 so that they go through the real page decoder.
 */
import { describe, expect, it } from "vitest";
import { decodeG4TransmitterId } from "../../src/records/decoders/user-setting.js";
import { SPECIAL_GLUCOSE } from "../../src/records/glucose.js";
import { decodePage } from "../../src/records/page.js";
import { checkPageHeader } from "../../src/records/page-header.js";
import { fromHex as hexBytes } from "../../src/util/hex.js";
import { crc16 } from "../../src/wire/crc16.js";
import { decodePageHeader } from "../../src/wire/page.js";
import { page, record } from "./support/page-builder.js";

function withCrc(hex: string): Uint8Array {
  const body = hexBytes(hex);
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  const crc = crc16(body);
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >>> 8;
  return out;
}

describe("§5.1 worked EGV example (CAP, G4 rev 2)", () => {
  const bytes = hexBytes("C3 71 D6 08 79 0F D6 08 2F 00 14 CE 1F");

  it("its stored CRC is 0x1FCE over the first 11 bytes", () => {
    expect(crc16(bytes, 0, 11)).toBe(0x1fce);
  });

  it("decodes to system 0x08D671C3, display 0x08D60F79, 47 mg/dL, Flat, Clean", () => {
    const decoded = decodePage(
      page({ recordType: 4, revision: 2, pageNumber: 1465, perPage: 38, records: [bytes] }),
      {
        recordType: 4,
        partition: { revision: 2, recordLength: 13 },
      },
    );
    expect(decoded.problems).toEqual([]);
    expect(decoded.records).toEqual([
      {
        kind: "egv",
        recordType: 4,
        index: 1465 * 38,
        systemSeconds: 0x08d671c3,
        displaySeconds: 0x08d60f79,
        glucose: 47,
        glucoseFlags: 0,
        displayOnly: false,
        special: null,
        trend: 4,
        noise: 1,
        readingSystemSeconds: null,
        transmitterSeconds: null,
        filteredRate: null,
        algorithmState: null,
        predictedGlucose: null,
        urgentLowSoon: null,
      },
    ]);
  });
});

describe("§5.1 AU test vector", () => {
  it("C4 88 1A 0B 61 34 1A 0B 05 00 58 + CRC → special 5 (SENSOR_NOT_CALIBRATED), trend 8, noise 5", () => {
    const decoded = decodePage(
      page({
        recordType: 4,
        revision: 2,
        pageNumber: 0,
        perPage: 38,
        records: [withCrc("C4 88 1A 0B 61 34 1A 0B 05 00 58")],
      }),
      { recordType: 4 },
    );
    expect(decoded.records[0]).toMatchObject({
      systemSeconds: 0x0b1a88c4,
      displaySeconds: 0x0b1a3461,
      glucose: 5,
      special: 5,
      displayOnly: false,
      trend: 8,
      noise: 5,
    });
    expect(SPECIAL_GLUCOSE.SENSOR_NOT_CALIBRATED).toBe(5);
  });
});

describe("§5.3 meter vector (AU, G4 rev 1)", () => {
  it("28 80 18 0B C5 2B 18 0B 71 00 0A 80 18 0B + CRC → 113 mg/dL, meter time 186155018", () => {
    const decoded = decodePage(
      page({
        recordType: 10,
        revision: 1,
        pageNumber: 32,
        perPage: 31,
        records: [withCrc("28 80 18 0B C5 2B 18 0B 71 00 0A 80 18 0B")],
      }),
      { recordType: 10, partition: { revision: 1, recordLength: 16 } },
    );
    expect(decoded.problems).toEqual([]);
    expect(decoded.records[0]).toEqual({
      kind: "meter",
      recordType: 10,
      index: 32 * 31,
      systemSeconds: 186155048,
      displaySeconds: 0x0b182bc5,
      meterGlucose: 113,
      meterSeconds: 186155018, // 30 s before SystemTime: the system clock (§5.3)
      entryType: null,
      meterTransmitterSeconds: null,
    });
  });
});

describe("§5.4 insertion facts (CAP, rev 1)", () => {
  const insertion = (system: number, time: number, state: number) =>
    record(15, (b) => {
      b.writeUInt32LE(system, 0);
      b.writeUInt32LE(system - 25_162, 4);
      b.writeUInt32LE(time, 8);
      b.writeUInt8(state, 12);
    });

  it("states 1 and 2 carry FFFFFFFF (no time); state 7 carries its own SystemTime", () => {
    const decoded = decodePage(
      page({
        recordType: 7,
        revision: 1,
        pageNumber: 1,
        perPage: 33,
        records: [
          insertion(148_000_000, 0xffffffff, 1),
          insertion(148_100_000, 0xffffffff, 2),
          insertion(148_200_000, 148_200_000, 7),
        ],
      }),
      { recordType: 7, partition: { revision: 1, recordLength: 15 } },
    );
    expect(decoded.problems).toEqual([]);
    expect(decoded.records.map((r) => [r.index, r.sessionState, r.insertionSeconds])).toEqual([
      [33, 1, null],
      [34, 2, null],
      [35, 7, 148_200_000],
    ]);
    expect(decoded.records[2]).toMatchObject({ sessionNumber: null, transmitterId: null });
  });
});

describe("§2.4 ReadDatabasePageHeader reply (EGV page 1465)", () => {
  it("76 D9 00 00 26 00 00 00 04 02 B9 05 00 00 + 12 × 00 + 9F 39", () => {
    const bytes = hexBytes(`76 D9 00 00 26 00 00 00 04 02 B9 05 00 00 ${"00 ".repeat(12)} 9F 39`);
    const header = decodePageHeader(bytes);
    expect(header).toEqual({
      firstRecordIndex: 55670,
      recordCount: 38,
      recordType: 4,
      revision: 2,
      pageNumber: 1465,
    });
    expect(() => checkPageHeader(header, 13, { recordType: 4, pageNumber: 1465 })).not.toThrow();
  });
});

describe("§5.7 G4 transmitter id encoding", () => {
  it("0x00652D8D ↔ 6ABCD; the unset id 60000", () => {
    expect(decodeG4TransmitterId(0x00652d8d)).toBe("6ABCD");
    expect(decodeG4TransmitterId(6 << 20)).toBe("60000");
  });
});
