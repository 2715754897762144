/**
 * Every page of every profile is well formed (spec receiver-protocol §4.3–§4.5, §7.1) and its records
 * decode, field for field, to the emulator's model; the same page check accepts the real fixture pages.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createReceiverEmulator, PROFILE_IDS, type ProfileId } from "../../../src/emulator/receiver/index.js";
import { decodeManufacturingPage, decodeXmlRecordPage } from "../../../src/records/xml-record.js";
import { hex, NOW } from "./helpers.js";
import { decodeRecord, pageProblems } from "./page-check.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures/receiver/", import.meta.url));

describe("the page check itself", () => {
  test.each([
    ["ecc1-page-0.0.hex", 500, 0, 1],
    ["ecc1-page-3.469.hex", 20, 469, 21],
    ["ecc1-page-4.312.hex", 13, 312, 23],
    ["ecc1-page-5.252.hex", 148, 252, 2],
    ["ecc1-page-5.1432.hex", 249, 1432, 2],
  ])("accepts the real page %s", (file, recordLength, pageNumber, count) => {
    const { problems, facts } = pageProblems(hex(readFileSync(FIXTURES + file, "utf8")), recordLength);
    expect(problems).toEqual([]);
    expect(facts.pageNumber).toBe(pageNumber);
    expect(facts.count).toBe(count);
  });

  test("decodes the captured EGV example of §5.1", () => {
    const record = hex("C3 71 D6 08 79 0F D6 08 2F 00 14 CE 1F");
    expect(decodeRecord(4, 2, record)).toEqual({
      kind: "egv",
      systemSeconds: 0x08d671c3,
      displaySeconds: 0x08d60f79,
      glucose: 47,
      special: null,
      displayOnly: false,
      trend: 4,
      noise: 1,
    });
  });

  test("rejects a page with one flipped record byte", () => {
    const page = hex(readFileSync(`${FIXTURES}ecc1-page-4.312.hex`, "utf8"));
    page[40] = (page[40] as number) ^ 1;
    expect(pageProblems(page, 13).problems).toEqual(["record 0 CRC"]);
  });
});

describe.each(PROFILE_IDS)("profile %s", (profile: ProfileId) => {
  const emulator = createReceiverEmulator({ profile, seed: 5, days: 30, now: () => NOW });
  const model = emulator.model;

  test("every page: header CRC, record CRCs, §4.5 index, FF fill, only the last page partial", () => {
    let pagesChecked = 0;
    for (const partition of Object.values(model.partitions)) {
      const pages = emulator.pages(partition.recordType);
      const range = partition.range;
      expect(pages.length).toBe(range === undefined ? 0 : range.lastPage - range.firstPage + 1);
      const counts = pages.map((page, i) => {
        const { problems, facts } = pageProblems(page, partition.recordLength);
        expect(problems, `type ${partition.recordType} page ${i}`).toEqual([]);
        expect(facts.recordType).toBe(partition.recordType);
        expect(facts.revision).toBe(partition.revision);
        expect(facts.pageNumber).toBe((range?.firstPage ?? 0) + i);
        pagesChecked++;
        return facts.count;
      });
      // Only the last page may be partly filled (§4.5).
      expect(counts.slice(0, -1).filter((count) => count !== partition.recordsPerPage)).toEqual([]);
    }
    expect(pagesChecked).toBeGreaterThan(500);
  });

  test("every record decodes to its model object, in index order", () => {
    for (const partition of Object.values(model.partitions)) {
      const decoded = emulator
        .pages(partition.recordType)
        .flatMap((page) => pageProblems(page, partition.recordLength).facts.records)
        .map((record) => decodeRecord(partition.recordType, partition.revision, record));
      const expected = partition.records.map(({ index: _index, ...fields }) => fields);
      expect(decoded, `type ${partition.recordType}`).toEqual(expected);
      partition.records.forEach((record, k) => {
        expect(record.index).toBe((partition.range?.firstPage ?? 0) * partition.recordsPerPage + k);
      });
    }
  });

  test("the PartitionInfo lists exactly the partitions served, with their revisions and lengths", () => {
    const listed = [
      ...model.partitionInfo.matchAll(/Id='(\d+)' RecordRevision='(\d+)' RecordLength='(\d+)'/g),
    ].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
    const served = Object.values(model.partitions).map((p) => [p.recordType, p.revision, p.recordLength]);
    expect(listed).toEqual(served);
  });

  test("XML pages decode with the records module; the serial comes from the manufacturing record", () => {
    const [manufacturing] = emulator.pages(0);
    expect(manufacturing).toBeDefined();
    const parameters = decodeManufacturingPage(manufacturing as Uint8Array);
    expect(parameters.serialNumber).toBe(emulator.serial);
    expect(parameters.serialNumber).toMatch(/^SM\d{8}$/);
    expect(decodeXmlRecordPage(emulator.pages(2)[0] as Uint8Array).element.attributes["Nickname"]).toBe(
      emulator.serial,
    );
  });

  test("record revisions per spec §7.3", () => {
    const revisions = Object.fromEntries(
      Object.values(model.partitions).map((p) => [p.recordType, `${p.revision}/${p.recordLength}`]),
    );
    const expected: Record<ProfileId, Record<number, string>> = {
      g4: { 3: "1/20", 4: "2/13", 5: "2/148", 7: "1/15", 10: "1/16", 11: "1/20", 12: "3/48" },
      g4share: { 3: "1/20", 4: "2/13", 5: "3/249", 7: "1/15", 10: "1/16", 11: "1/20", 12: "3/48" },
      g5: { 3: "1/20", 4: "4/23", 5: "3/249", 7: "2/25", 10: "3/21", 11: "1/20", 12: "5/50" },
      touchscreen: {
        3: "1/20",
        4: "5/25",
        5: "3/249",
        7: "2/25",
        10: "3/21",
        11: "1/20",
        12: "6/60",
        18: "5/25",
      },
    };
    expect(revisions).toMatchObject(expected[profile]);
    expect(18 in revisions).toBe(profile === "touchscreen");
  });
});

test("storage wrap: with maxPages the oldest pages are gone and the range starts above 0", () => {
  const emulator = createReceiverEmulator({
    profile: "g4",
    seed: 5,
    days: 30,
    now: () => NOW,
    maxPages: 100,
  });
  const egv = emulator.model.partitions[4];
  expect(egv?.range?.lastPage).toBeGreaterThan(200);
  expect(egv?.range?.firstPage).toBe((egv?.range?.lastPage ?? 0) - 99);
  const [first] = emulator.pages(4);
  const { problems, facts } = pageProblems(first as Uint8Array, 13);
  expect(problems).toEqual([]);
  expect(facts.firstRecordIndex).toBe((egv?.range?.firstPage ?? 0) * 38);
  expect(egv?.records[0]?.index).toBe(facts.firstRecordIndex);
});
