/**
 * The five real pages of test/fixtures/receiver/ (ecc1/dexcom test data, MIT; see SOURCES.md).
 *
 * How the expected values were derived, independently of src/records/:
 * 1. The first and last record of every page were decoded by hand from the hex dump, at the byte
 *    offsets of spec receiver-protocol §4.3 (header) and §5.x (record layouts). The bytes are quoted
 *    next to each expectation; little-endian u32 = b0 + b1·2⁸ + b2·2¹⁶ + b3·2²⁴.
 * 2. Every record of every page is also decoded by `reference*` functions below, written from the
 *    spec tables with Node's Buffer reads (readUInt32LE, readDoubleLE, …) and a plain CRC check, and
 *    compared field by field with the decoder's output.
 * The origin's own JSON decodings were deliberately not used (they render times in a test-harness
 * time zone, SOURCES.md).
 */
import { describe, expect, it } from "vitest";
import { decodePage } from "../../src/records/page.js";
import { decodeManufacturingPage, decodeXmlRecordPage } from "../../src/records/xml-record.js";
import { crc16 } from "../../src/wire/crc16.js";
import { FIXTURE_PAGES, fixturePage } from "./support/fixtures.js";

const buf = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Header per §4.3, by Buffer reads. */
function referenceHeader(page: Buffer) {
  return {
    firstRecordIndex: page.readUInt32LE(0),
    recordCount: page.readUInt32LE(4),
    recordType: page.readUInt8(8),
    revision: page.readUInt8(9),
    pageNumber: page.readUInt32LE(10),
  };
}

/** Records of a page sliced by `length`, each checked against its trailing CRC (§4.4). */
function referenceSlices(page: Buffer, length: number): { index: number; r: Buffer }[] {
  const h = referenceHeader(page);
  const out: { index: number; r: Buffer }[] = [];
  for (let k = 0; k < h.recordCount; k++) {
    const r = page.subarray(28 + k * length, 28 + (k + 1) * length);
    expect(r.readUInt16LE(length - 2)).toBe(crc16(r, 0, length - 2));
    out.push({ index: h.firstRecordIndex + k, r });
  }
  return out;
}

describe("fixture page headers (§4.3, §4.5)", () => {
  it.each([
    // page, first index, count, type, revision, page number — header bytes 0..13 of each file
    ["ecc1-page-0.0.hex", 0, 1, 0, 1, 0], // 00 00 00 00 | 01 00 00 00 | 00 | 01 | 00 00 00 00
    ["ecc1-page-3.469.hex", 11725, 21, 3, 1, 469], // CD 2D 00 00 | 15 00 00 00 | 03 | 01 | D5 01 00 00
    ["ecc1-page-4.312.hex", 11856, 23, 4, 2, 312], // 50 2E 00 00 | 17 00 00 00 | 04 | 02 | 38 01 00 00
    ["ecc1-page-5.252.hex", 756, 2, 5, 2, 252], // F4 02 00 00 | 02 00 00 00 | 05 | 02 | FC 00 00 00
    ["ecc1-page-5.1432.hex", 2864, 2, 5, 3, 1432], // 30 0B 00 00 | 02 00 00 00 | 05 | 03 | 98 05 00 00
  ] as const)("%s", (name, firstRecordIndex, recordCount, recordType, revision, pageNumber) => {
    const decoded = decodePage(fixturePage(name), { recordType, pageNumber });
    expect(decoded.header).toEqual({ firstRecordIndex, recordCount, recordType, revision, pageNumber });
    expect(decoded.header).toEqual(referenceHeader(buf(fixturePage(name))));
    expect(decoded.problems).toEqual([]);
    expect(decoded.records).toHaveLength(recordCount);
    expect(decoded.records.map((r) => r.index)).toEqual(
      Array.from({ length: recordCount }, (_, k) => firstRecordIndex + k),
    );
  });

  it("every fixture decodes with zero problems when PartitionInfo's G4 lengths are given", () => {
    const lengths: Record<string, [number, number]> = {
      "ecc1-page-0.0.hex": [1, 500],
      "ecc1-page-3.469.hex": [1, 20],
      "ecc1-page-4.312.hex": [2, 13],
      "ecc1-page-5.252.hex": [2, 148],
      "ecc1-page-5.1432.hex": [3, 249],
    };
    for (const name of FIXTURE_PAGES) {
      const [revision, recordLength] = lengths[name] ?? [0, 0];
      const decoded = decodePage(fixturePage(name), { partition: { revision, recordLength } });
      expect(decoded.problems).toEqual([]);
      expect(decoded.recordLength).toBe(recordLength);
    }
  });
});

describe("EGV page 4.312 (G4 rev 2, 13-byte records, §5.1)", () => {
  const decoded = decodePage(fixturePage("ecc1-page-4.312.hex"), { recordType: 4 });

  it("first record: page bytes 28..40 = 89 5B 4D 0C | FD D6 71 0D | 4F 00 | 14 | 87 FF", () => {
    expect(decoded.records[0]).toEqual({
      kind: "egv",
      recordType: 4,
      index: 11856,
      systemSeconds: 0x0c4d5b89, // 206396297 → 2015-07-17 20:18:17 receiver epoch
      displaySeconds: 0x0d71d6fd, // 225564413 → 2016-02-24: the display clock is ~7 months ahead
      glucose: 0x4f, // 79 mg/dL
      glucoseFlags: 0,
      displayOnly: false,
      special: null,
      trend: 4, // 0x14 & 0x0F → Flat
      noise: 1, // (0x14 & 0x70) >> 4 → Clean
      readingSystemSeconds: null,
      transmitterSeconds: null,
      filteredRate: null,
      algorithmState: null,
      predictedGlucose: null,
      urgentLowSoon: null,
    });
  });

  it("last record (k = 22): page bytes 314..326 = 50 75 4D 0C | C5 F0 71 0D | E0 00 | 14 | 9F FE", () => {
    expect(decoded.records[22]).toMatchObject({
      index: 11878,
      systemSeconds: 0x0c4d7550, // 206402896
      displaySeconds: 0x0d71f0c5, // 225571013
      glucose: 224,
      displayOnly: false,
      special: null,
      trend: 4,
      noise: 1,
    });
  });

  it("every record equals the reference decode", () => {
    const reference = referenceSlices(buf(fixturePage("ecc1-page-4.312.hex")), 13).map(({ index, r }) => ({
      index,
      systemSeconds: r.readUInt32LE(0),
      displaySeconds: r.readUInt32LE(4),
      glucose: r.readUInt16LE(8) & 0x3ff,
      displayOnly: (r.readUInt16LE(8) & 0x8000) !== 0,
      trend: r.readUInt8(10) & 0x0f,
      noise: (r.readUInt8(10) & 0x70) >> 4,
    }));
    expect(decoded.records.map((r) => ({ ...r }))).toMatchObject(reference);
  });
});

describe("sensor page 3.469 (rev 1, 20-byte records, §5.2)", () => {
  const decoded = decodePage(fixturePage("ecc1-page-3.469.hex"), { recordType: 3 });

  it("first record: bytes 28..47 = E0 5D 4D 0C | 55 D9 71 0D | D0 8B 01 00 | 60 5E 01 00 | B1 00 | D0 02", () => {
    expect(decoded.records[0]).toEqual({
      kind: "sensor",
      recordType: 3,
      index: 11725,
      systemSeconds: 206396896,
      displaySeconds: 225565013,
      unfiltered: 101328, // 0x00018BD0
      filtered: 89696, // 0x00015E60
      rssi: 177, // B1 00 as i16
      rssiByte: -79, // B1 as i8 (EC's reading)
    });
  });

  it("last record (k = 20): bytes 428..447 = 50 75 4D 0C | C4 F0 71 0D | A0 47 03 00 | A0 62 03 00 | B0 00", () => {
    expect(decoded.records[20]).toMatchObject({
      index: 11745,
      systemSeconds: 206402896,
      displaySeconds: 225571012,
      unfiltered: 214944,
      filtered: 221856,
      rssi: 176,
      rssiByte: -80,
    });
  });

  it("every record equals the reference decode", () => {
    const reference = referenceSlices(buf(fixturePage("ecc1-page-3.469.hex")), 20).map(({ index, r }) => ({
      index,
      systemSeconds: r.readUInt32LE(0),
      displaySeconds: r.readUInt32LE(4),
      unfiltered: r.readUInt32LE(8),
      filtered: r.readUInt32LE(12),
      rssi: r.readInt16LE(16),
      rssiByte: r.readInt8(16),
    }));
    expect(decoded.records).toMatchObject(reference);
  });
});

function referenceCal(r: Buffer, long: boolean) {
  const n = r.readUInt8(43);
  return {
    systemSeconds: r.readUInt32LE(0),
    displaySeconds: r.readUInt32LE(4),
    slope: r.readDoubleLE(8),
    intercept: r.readDoubleLE(16),
    scale: r.readDoubleLE(24),
    unknownBytes: [r[32], r[33], r[34]],
    decay: r.readDoubleLE(35),
    subRecords: Array.from({ length: n }, (_, i) => {
      const s = r.subarray(44 + 17 * i, 61 + 17 * i);
      return {
        enteredSeconds: s.readUInt32LE(0),
        meterGlucose: s.readUInt32LE(4),
        sensorCounts: s.readUInt32LE(8),
        appliedSeconds: s.readUInt32LE(12),
        unknown: s.readUInt8(16),
      };
    }),
    extraDoubles: long ? [r.readDoubleLE(231), r.readDoubleLE(239)] : null,
  };
}

describe("calibration page 5.252 (rev 2, 148-byte records, §5.5)", () => {
  const decoded = decodePage(fixturePage("ecc1-page-5.252.hex"), { recordType: 5 });

  it("first record (bytes 28..175): times A3 72 FD 11 / 5F 01 FD 11, 2 sub-records", () => {
    expect(decoded.records[0]).toEqual({
      kind: "calibration",
      recordType: 5,
      index: 756,
      systemSeconds: 301822627,
      displaySeconds: 301793631,
      slope: 1266.516685158317, // 33 05 EA 15 11 CA 93 40
      intercept: 30000, // 00 00 00 00 00 4C DD 40
      scale: 1, // 00 … F0 3F
      unknownBytes: [3, 6, 0],
      decay: 0,
      subRecords: [
        // 7B 72 FD 11 | 4A 00 00 00 | 10 F0 01 00 | 76 71 FD 11 | 00
        {
          enteredSeconds: 301822587,
          meterGlucose: 74,
          sensorCounts: 126992,
          appliedSeconds: 301822326,
          unknown: 0,
        },
        // 84 72 FD 11 | 4F 00 00 00 | 10 F0 01 00 | 76 71 FD 11 | 00
        {
          enteredSeconds: 301822596,
          meterGlucose: 79,
          sensorCounts: 126992,
          appliedSeconds: 301822326,
          unknown: 0,
        },
      ],
      extraDoubles: null,
    });
  });

  it("last record (bytes 176..323): decay AB AA AA AA AA AA 00 40 = 2.083…", () => {
    expect(decoded.records[1]).toMatchObject({
      index: 757,
      systemSeconds: 301822927,
      displaySeconds: 301793931,
      slope: 1271.3220107536058,
      unknownBytes: [3, 6, 1],
      decay: 2.0833333333333335,
    });
  });

  it("every record equals the reference decode", () => {
    const reference = referenceSlices(buf(fixturePage("ecc1-page-5.252.hex")), 148).map(({ index, r }) => ({
      index,
      ...referenceCal(r, false),
    }));
    expect(decoded.records).toMatchObject(reference);
  });
});

describe("calibration page 5.1432 (rev 3, 249-byte records, §5.5)", () => {
  const decoded = decodePage(fixturePage("ecc1-page-5.1432.hex"), { recordType: 5 });

  it("first record (bytes 28..276): 8 sub-records, trailing doubles 0.3 and 2/3", () => {
    const first = decoded.records[0];
    expect(first).toMatchObject({
      index: 2864,
      systemSeconds: 264321865, // 49 3B C1 0F
      displaySeconds: 264294194, // 32 CF C0 0F
      slope: 990.6457845831189,
      intercept: 44996.894388830086,
      scale: 1,
      unknownBytes: [3, 6, 3],
      decay: 0,
      extraDoubles: [0.3, 0.6666666666666666], // 33 33 33 33 33 33 D3 3F | 55 … E5 3F at 231, 239
    });
    expect(first?.subRecords).toHaveLength(8);
    // first sub-record: D6 92 BC 0F | 62 00 00 00 | B7 1D 02 00 | 89 93 BC 0F | 00
    expect(first?.subRecords[0]).toEqual({
      enteredSeconds: 264016598,
      meterGlucose: 98,
      sensorCounts: 138679,
      appliedSeconds: 264016777,
      unknown: 0,
    });
  });

  it("last record (bytes 277..525), then the 2 spare bytes FF FF", () => {
    const last = decoded.records[1];
    expect(last).toMatchObject({
      index: 2865,
      systemSeconds: 264371856,
      displaySeconds: 264344185,
      slope: 1027.348225279507,
      intercept: 39960.62487382731,
      unknownBytes: [3, 6, 8],
    });
    // last sub-record: 6D FE C1 0F | 83 00 00 00 | A0 AA 02 00 | CD FD C1 0F | 00
    expect(last?.subRecords.at(-1)).toEqual({
      enteredSeconds: 264371821,
      meterGlucose: 131,
      sensorCounts: 174752,
      appliedSeconds: 264371661,
      unknown: 0,
    });
  });

  it("every record equals the reference decode", () => {
    const reference = referenceSlices(buf(fixturePage("ecc1-page-5.1432.hex")), 249).map(({ index, r }) => ({
      index,
      ...referenceCal(r, true),
    }));
    expect(decoded.records).toMatchObject(reference);
  });
});

describe("manufacturing page 0.0 (XML record, §5.8)", () => {
  it("decodes the single record: times B8 A7 2B 0B / 37 37 2B 0B and the element", () => {
    const record = decodeXmlRecordPage(fixturePage("ecc1-page-0.0.hex"));
    expect(record.systemSeconds).toBe(187410360); // 2014-12-10 02:26:00, the UTC of DateTimeCreated
    expect(record.displaySeconds).toBe(187381559); // 28801 s earlier: the factory's −08:00
    expect(record.element.name).toBe("ManufacturingParameters");
  });

  it("gives the identity", () => {
    expect(decodeManufacturingPage(fixturePage("ecc1-page-0.0.hex"))).toEqual({
      serialNumber: "SM44792675",
      hardwarePartNumber: "MT20649",
      hardwareRevision: "23",
      dateTimeCreated: "2014-12-09 18:25:59.246 -08:00",
      hardwareId: "{0858EEF9-FF2F-4AE1-BA5F-E4FF90F6960B}",
    });
  });

  it("the text is the bytes from record offset 8 up to the first NUL", () => {
    const page = buf(fixturePage("ecc1-page-0.0.hex"));
    const text = page.subarray(36, 526);
    const xml = text.subarray(0, text.indexOf(0)).toString("latin1");
    expect(xml).toMatch(/^<ManufacturingParameters SerialNumber="SM44792675" .* \/>$/);
  });
});
