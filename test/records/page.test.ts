/**
 * The page decoder's rules (spec receiver-protocol §4.3–§4.5, §5.9; DESIGN.md §4): header CRC and
 * structure, layout from revision × PartitionInfo, per-record CRC with report-and-skip, unknown
 * revisions reported raw, `fromIndex`.
 */
import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { chooseLayout, layoutForRevision } from "../../src/records/layouts.js";
import { decodePage } from "../../src/records/page.js";
import { toHex } from "../../src/util/hex.js";
import { fixturePage } from "./support/fixtures.js";
import { egvG4, egvTouch, page, record } from "./support/page-builder.js";

function flip(bytes: Uint8Array, at: number, mask: number): void {
  bytes[at] = (bytes[at] ?? 0) ^ mask;
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isSharebridgeError(error)) return error.code;
    throw error;
  }
  return "no error";
}

const egvs = (n: number, start = 300_000_000) =>
  Array.from({ length: n }, (_, i) =>
    egvG4({ systemSeconds: start + i * 300, displaySeconds: start + i * 300 - 3600, glucose: 100 + i }),
  );

describe("page-level failures are typed errors", () => {
  it("a page of the wrong size is PAGE_TRUNCATED", () => {
    expect(codeOf(() => decodePage(new Uint8Array(527)))).toBe("PAGE_TRUNCATED");
    expect(codeOf(() => decodePage(new Uint8Array(529)))).toBe("PAGE_TRUNCATED");
  });

  it("a header CRC mismatch is PAGE_BAD_CRC", () => {
    const p = fixturePage("ecc1-page-4.312.hex");
    p[4] = 0x16;
    expect(codeOf(() => decodePage(p))).toBe("PAGE_BAD_CRC");
  });

  it("a page of another type or number than requested is PAGE_HEADER_INVALID", () => {
    const p = fixturePage("ecc1-page-4.312.hex");
    expect(codeOf(() => decodePage(p, { recordType: 18 }))).toBe("PAGE_HEADER_INVALID");
    expect(codeOf(() => decodePage(p, { pageNumber: 313 }))).toBe("PAGE_HEADER_INVALID");
  });

  it("more records than fit is PAGE_HEADER_INVALID", () => {
    const p = page({
      recordType: 4,
      revision: 2,
      pageNumber: 3,
      perPage: 38,
      records: egvs(2),
      recordCount: 39,
    });
    expect(codeOf(() => decodePage(p))).toBe("PAGE_HEADER_INVALID");
  });

  it("a FirstRecordIndex that breaks the §4.5 invariant is a reported problem; the records are used", () => {
    const p = page({
      recordType: 4,
      revision: 2,
      pageNumber: 3,
      perPage: 38,
      records: egvs(2),
      firstRecordIndex: 115,
    });
    const decoded = decodePage(p, { recordType: 4 });
    expect(decoded.records.map((r) => r.index)).toEqual([115, 116]);
    expect(decoded.problems).toEqual([
      {
        code: "PAGE_INDEX_MISMATCH",
        reason:
          "first record index 115 is not page 3 × 38 (§4.5); its records are used as the header numbers them",
        recordType: 4,
        pageNumber: 3,
        revision: 2,
        index: 115,
        count: 2,
        hex: toHex(p.subarray(0, 28)),
      },
    ]);
  });
});

describe("bad records are reported and skipped", () => {
  it("a record CRC mismatch reports index, code and hex; the rest of the page decodes", () => {
    const records = egvs(5);
    const p = page({ recordType: 4, revision: 2, pageNumber: 10, perPage: 38, records });
    flip(p, 28 + 2 * 13 + 8, 0x01); // glucose byte of the third record
    const decoded = decodePage(p, { recordType: 4 });
    expect(decoded.records.map((r) => r.index)).toEqual([380, 381, 383, 384]);
    expect(decoded.problems).toHaveLength(1);
    expect(decoded.problems[0]).toMatchObject({
      code: "RECORD_BAD_CRC",
      recordType: 4,
      pageNumber: 10,
      revision: 2,
      index: 382,
      count: 1,
    });
    expect(decoded.problems[0]?.hex.split(" ")).toHaveLength(13);
    expect(decoded.problems[0]?.hex.slice(0, 11)).toBe(
      Buffer.from(p.subarray(28 + 26, 28 + 30))
        .toString("hex")
        .toUpperCase()
        .replace(/(..)(?!$)/g, "$1 "),
    );
  });

  it("a calibration record with an impossible sub-record count is reported, not thrown", () => {
    const bad = record(148, (b) => {
      b.writeUInt8(7, 43); // 7 > 6 slots
    });
    const decoded = decodePage(
      page({ recordType: 5, revision: 2, pageNumber: 0, perPage: 3, records: [bad] }),
    );
    expect(decoded.records).toEqual([]);
    expect(decoded.problems[0]).toMatchObject({ code: "RECORD_TRUNCATED", index: 0 });
  });

  it("an XML record that is not XML is reported as XML_INVALID", () => {
    const bad = record(500, (b) => {
      b.write("not xml", 8, "latin1");
    });
    const decoded = decodePage(
      page({ recordType: 0, revision: 1, pageNumber: 0, perPage: 1, records: [bad] }),
    );
    expect(decoded.problems[0]).toMatchObject({ code: "XML_INVALID", index: 0, count: 1 });
  });
});

describe("layout selection (§5.9)", () => {
  it("follows the revision table", () => {
    const names = (type: number, revisions: number[]) =>
      revisions.map((r) => layoutForRevision(type, r)?.name ?? "-");
    expect(names(4, [0, 1, 2, 3, 4, 5, 6])).toEqual([
      "-",
      "egv-g4",
      "egv-g4",
      "egv-g4",
      "egv-rev4",
      "egv-rev5",
      "-",
    ]);
    expect(names(18, [2, 4, 5])).toEqual(["egv-g4", "egv-rev4", "egv-rev5"]);
    expect(names(10, [0, 1, 2, 3, 4])).toEqual(["-", "meter-g4", "meter-g4", "meter-rev3", "-"]);
    expect(names(7, [0, 1, 2, 3])).toEqual(["-", "insertion-g4", "insertion-rev2", "insertion-rev2"]);
    expect(names(5, [1, 2, 3, 4])).toEqual(["cal-set-148", "cal-set-148", "cal-set-249", "-"]);
    expect(names(12, [3, 4, 5, 6, 7])).toEqual([
      "user-setting-48",
      "user-setting-48",
      "user-setting-50",
      "user-setting-60",
      "user-setting-48",
    ]);
    expect(names(3, [1, 2])).toEqual(["sensor", "-"]);
    expect(names(11, [1, 2])).toEqual(["user-event", "-"]);
    expect(names(0, [1])).toEqual(["xml"]);
    expect(names(6, [1])).toEqual(["-"]);
    expect(names(8, [1])).toEqual(["-"]);
    expect(names(9, [1])).toEqual(["-"]);
  });

  it("cross-checks the advertised length for the same revision", () => {
    expect(chooseLayout(4, 2, { revision: 2, recordLength: 13 })).toMatchObject({ ok: true });
    expect(chooseLayout(4, 2, { revision: 2, recordLength: 14 })).toMatchObject({
      ok: false,
      sliceLength: 14,
    });
    // An older page (revision 2) in a partition now advertising revision 3: its own layout applies.
    expect(chooseLayout(5, 2, { revision: 3, recordLength: 249 })).toMatchObject({
      ok: true,
      layout: { length: 148 },
    });
    expect(chooseLayout(4, 9, { revision: 9, recordLength: 27 })).toMatchObject({
      ok: false,
      sliceLength: 27,
    });
    expect(chooseLayout(4, 9, undefined)).toMatchObject({ ok: false, sliceLength: undefined });
  });

  it("an unknown revision with an advertised length reports each record's raw bytes", () => {
    const raw = [record(27, (b) => b.fill(0x11, 0, 25)), record(27, (b) => b.fill(0x22, 0, 25))];
    const p = page({ recordType: 4, revision: 9, pageNumber: 2, perPage: 18, records: raw });
    const decoded = decodePage(p, { recordType: 4, partition: { revision: 9, recordLength: 27 } });
    expect(decoded.records).toEqual([]);
    expect(decoded.layout).toBeNull();
    expect(decoded.problems.map((x) => [x.code, x.index, x.count, x.hex.slice(0, 5)])).toEqual([
      ["RECORD_UNSUPPORTED_REVISION", 36, 1, "11 11"],
      ["RECORD_UNSUPPORTED_REVISION", 37, 1, "22 22"],
    ]);
  });

  it("an unknown revision without a length reports the record area once", () => {
    const p = page({
      recordType: 4,
      revision: 9,
      pageNumber: 2,
      perPage: 18,
      records: [record(27, () => {})],
    });
    const decoded = decodePage(p, { recordType: 4 });
    expect(decoded.problems).toHaveLength(1);
    expect(decoded.problems[0]).toMatchObject({ code: "RECORD_UNSUPPORTED_REVISION", index: 36, count: 1 });
    expect(decoded.problems[0]?.hex.split(" ")).toHaveLength(500);
  });

  it("a length that contradicts the revision is reported, not decoded", () => {
    const p = page({ recordType: 4, revision: 2, pageNumber: 0, perPage: 38, records: egvs(2) });
    const decoded = decodePage(p, { partition: { revision: 2, recordLength: 20 } });
    expect(decoded.records).toEqual([]);
    expect(decoded.problems.map((x) => [x.code, x.index])).toEqual([
      ["RECORD_UNSUPPORTED_REVISION", 0],
      ["RECORD_UNSUPPORTED_REVISION", 1],
    ]);
    // Past page 0 the header's index (38 per page) also contradicts 20-byte records (25 per page).
    const p1 = page({ recordType: 4, revision: 2, pageNumber: 1, perPage: 38, records: egvs(2) });
    const decoded1 = decodePage(p1, { partition: { revision: 2, recordLength: 20 } });
    expect(decoded1.problems.map((x) => [x.code, x.index])).toEqual([
      ["PAGE_INDEX_MISMATCH", 38],
      ["RECORD_UNSUPPORTED_REVISION", 38],
      ["RECORD_UNSUPPORTED_REVISION", 39],
    ]);
  });
});

describe("fromIndex", () => {
  it("decodes only records at or after the index", () => {
    const p = page({ recordType: 4, revision: 2, pageNumber: 1, perPage: 38, records: egvs(10) });
    expect(decodePage(p, { fromIndex: 45 }).records.map((r) => r.index)).toEqual([45, 46, 47]);
    expect(decodePage(p, { fromIndex: 48 }).records).toEqual([]);
    expect(decodePage(p, { fromIndex: 0 }).records).toHaveLength(10);
  });

  it("skips bad records before the index without reporting them", () => {
    const p = page({ recordType: 4, revision: 2, pageNumber: 1, perPage: 38, records: egvs(10) });
    flip(p, 28 + 8, 0xff);
    expect(decodePage(p, { fromIndex: 39 }).problems).toEqual([]);
    expect(decodePage(p).problems).toHaveLength(1);
  });
});

describe("touchscreen EGV pages", () => {
  it("25-byte rev 5 records: 20 per page, reading time, transmitter time, prediction", () => {
    const records = Array.from({ length: 20 }, (_, i) =>
      egvTouch({
        systemSeconds: 400_000_000 + i * 300,
        displaySeconds: 400_000_000 + i * 300 + 7200,
        readingSystemSeconds: 400_000_000 + i * 300 - 2,
        transmitterSeconds: 1_000_000 + i * 300,
        glucose: 120,
        filteredRate: -3,
        algorithmState: 6,
        predicted: i === 0 ? 13 : i === 1 ? 0x8000 | 60 : 125,
        trend: 5,
        noise: 2,
      }),
    );
    const decoded = decodePage(page({ recordType: 4, revision: 5, pageNumber: 7, perPage: 20, records }), {
      recordType: 4,
      partition: { revision: 5, recordLength: 25 },
    });
    expect(decoded.problems).toEqual([]);
    expect(decoded.records).toHaveLength(20);
    expect(decoded.records[0]).toMatchObject({ index: 140, predictedGlucose: null, urgentLowSoon: false });
    expect(decoded.records[1]).toMatchObject({ predictedGlucose: 60, urgentLowSoon: true });
    expect(decoded.records[19]).toEqual({
      kind: "egv",
      recordType: 4,
      index: 159,
      systemSeconds: 400_005_700,
      displaySeconds: 400_012_900,
      glucose: 120,
      glucoseFlags: 0,
      displayOnly: false,
      special: null,
      trend: 5,
      noise: 2,
      readingSystemSeconds: 400_005_698,
      transmitterSeconds: 1_005_700,
      filteredRate: -3,
      algorithmState: 6,
      predictedGlucose: 125,
      urgentLowSoon: false,
    });
  });

  it("backfilled EGV pages (type 18) use the EGV layout of their revision", () => {
    const records = [egvTouch({ systemSeconds: 5000, displaySeconds: 5000, glucose: 99 }, 4)];
    const decoded = decodePage(page({ recordType: 18, revision: 4, pageNumber: 0, perPage: 21, records }), {
      recordType: 18,
    });
    expect(decoded.records[0]).toMatchObject({
      kind: "egv",
      recordType: 18,
      glucose: 99,
      predictedGlucose: null,
      urgentLowSoon: null,
    });
  });
});
