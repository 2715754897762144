/**
 * The incremental reader (spec receiver-protocol §4.5, §4.9): what it asks the receiver, which
 * records it returns, and the discontinuities it reports. Runs against a fake ReceiverApi whose
 * replies go through the real command codecs.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { IncrementalReader } from "../../src/records/incremental-reader.js";
import { FakeReceiver, pageMap } from "./support/fake-receiver.js";
import { egvG4, egvG4Pages, egvTouch, page } from "./support/page-builder.js";

const START = 200_000_000;
const EGV = 4;

/** A G4 EGV partition holding indexes firstPage × 38 … lastIndex, readings 5 minutes apart. */
function egvPartition(fake: FakeReceiver, firstPage: number, lastIndex: number): void {
  fake.addPartition(EGV, {
    revision: 2,
    recordLength: 13,
    pages: pageMap(firstPage, egvG4Pages(firstPage, lastIndex, START)),
  });
}

/** Rebuilds the partition with one more reading (the receiver wrote a new record). */
function addReadings(fake: FakeReceiver, firstPage: number, lastIndex: number): void {
  egvPartition(fake, firstPage, lastIndex);
}

describe("first read and steady state", () => {
  let fake: FakeReceiver;
  beforeEach(() => {
    fake = new FakeReceiver();
    egvPartition(fake, 10, 20 * 38 + 4); // pages 10…20, the last with 5 records
  });

  it("without a cursor reads the whole partition: the last page first, then 4 pages per request", async () => {
    const reader = new IncrementalReader(fake);
    const result = await reader.readNew(EGV);
    expect(result.records).toHaveLength(10 * 38 + 5);
    expect(result.records[0]?.index).toBe(380);
    expect(result.records.at(-1)?.index).toBe(764);
    expect(result.newestIndex).toBe(764);
    expect(result.problems).toEqual([]);
    expect(result.discontinuities).toEqual([]);
    expect(fake.pageRequests).toEqual([1, 4, 4, 2]);
    expect(fake.calls).toEqual([
      "ReadDatabasePageRange",
      "ReadDatabasePartitionInfo",
      "ReadDatabasePages",
      "ReadDatabasePages",
      "ReadDatabasePages",
      "ReadDatabasePages",
    ]);
  });

  it("after one new reading costs one page-range request and one one-page read", async () => {
    const reader = new IncrementalReader(fake);
    const first = await reader.readNew(EGV);
    const cursor = { lastIndex: first.newestIndex ?? -1 };
    addReadings(fake, 10, 765);
    fake.resetCounts();
    const next = await reader.readNew(EGV, { cursor });
    expect(next.records.map((r) => [r.index, r.systemSeconds])).toEqual([[765, START + 765 * 300]]);
    expect(fake.calls).toEqual(["ReadDatabasePageRange", "ReadDatabasePages"]);
    expect(fake.pageRequests).toEqual([1]);
    expect(next.pagesRead).toBe(1);
  });

  it("with nothing new returns nothing and still costs two round trips", async () => {
    const reader = new IncrementalReader(fake);
    await reader.readNew(EGV);
    fake.resetCounts();
    const next = await reader.readNew(EGV, { cursor: { lastIndex: 764 } });
    expect(next.records).toEqual([]);
    expect(fake.calls).toHaveLength(2);
  });

  it("starts at the page holding the next index when a new page was opened", async () => {
    egvPartition(fake, 10, 21 * 38 - 1); // page 20 now full
    const reader = new IncrementalReader(fake);
    await reader.readNew(EGV, { cursor: { lastIndex: 21 * 38 - 1 } });
    addReadings(fake, 10, 21 * 38 + 1); // two records on the new page 21
    fake.resetCounts();
    const next = await reader.readNew(EGV, { cursor: { lastIndex: 21 * 38 - 1 } });
    expect(next.records.map((r) => r.index)).toEqual([798, 799]);
    expect(fake.pageRequests).toEqual([1]);
  });

  it("after an outage reads from the cursor's page to the end", async () => {
    const reader = new IncrementalReader(fake);
    const next = await reader.readNew(EGV, { cursor: { lastIndex: 13 * 38 + 7 } });
    expect(next.records[0]?.index).toBe(13 * 38 + 8);
    expect(next.records.at(-1)?.index).toBe(764);
    expect(fake.pageRequests).toEqual([1, 4, 3]); // page 20, then 13…19
  });

  it("a bounded backfill returns only the newest records", async () => {
    const reader = new IncrementalReader(fake);
    const result = await reader.readNew(EGV, { backfillLimit: 50 });
    expect(result.records).toHaveLength(50);
    expect(result.records.at(-1)?.index).toBe(764);
    expect(fake.pageRequests).toEqual([1, 2]); // page 20, then 18…19: ⌈50 / 38⌉ + 1 pages
  });

  it("reports progress per request", async () => {
    const progress: [number, number][] = [];
    await new IncrementalReader(fake).readNew(EGV, { onProgress: (n, total) => progress.push([n, total]) });
    expect(progress).toEqual([
      [1, 1],
      [5, 11],
      [9, 11],
      [11, 11],
    ]);
  });
});

describe("discontinuities", () => {
  let fake: FakeReceiver;
  beforeEach(() => {
    fake = new FakeReceiver("SM12345678");
    egvPartition(fake, 10, 20 * 38 + 4);
  });

  it("records lost to wrap-around are reported and reading resumes at the oldest", async () => {
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 300 } });
    expect(result.discontinuities).toEqual([
      { kind: "lost-to-wrap", firstLostIndex: 301, lastLostIndex: 379 },
    ]);
    expect(result.records[0]?.index).toBe(380);
  });

  it("an emptied partition is an erased database", async () => {
    fake.addPartition(EGV, { revision: 2, recordLength: 13, pages: new Map() });
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 764 } });
    expect(result.discontinuities).toMatchObject([{ kind: "erased", cursorIndex: 764, newestIndex: null }]);
    expect(result.records).toEqual([]);
    expect(result.range).toBeUndefined();
  });

  it("a cursor beyond the last page means indexes went backwards: erased, read from the start", async () => {
    egvPartition(fake, 0, 40); // a fresh database: pages 0…1
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 764 } });
    expect(result.discontinuities).toMatchObject([{ kind: "erased", cursorIndex: 764 }]);
    expect(result.records.map((r) => r.index)).toEqual(Array.from({ length: 41 }, (_, i) => i));
  });

  it("a cursor inside the last page but past its records is erased too, and the partition is re-read", async () => {
    egvPartition(fake, 0, 20 * 38 + 1); // refilled up to the cursor's page, but fewer records
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 764 } });
    expect(result.discontinuities).toMatchObject([{ kind: "erased", cursorIndex: 764, newestIndex: 761 }]);
    expect(result.records).toHaveLength(762);
    expect(result.records[0]?.index).toBe(0);
  });

  it("a record at the cursor with another time is reported; the indexes rule and the cursor is kept (§10 #6)", async () => {
    // Same indexes, but written from another start time: flash damage or a clock edit, not an erase.
    fake.addPartition(EGV, {
      revision: 2,
      recordLength: 13,
      pages: pageMap(0, egvG4Pages(0, 20 * 38 + 9, START + 86_400)),
    });
    const cursor = { lastIndex: 764, lastSystemSeconds: START + 764 * 300 };
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor, backfillLimit: 20 });
    expect(result.discontinuities).toEqual([
      {
        kind: "record-changed",
        index: 764,
        expectedSystemSeconds: START + 764 * 300,
        actualSystemSeconds: START + 86_400 + 764 * 300,
      },
    ]);
    expect(result.records.map((r) => r.index)).toEqual([765, 766, 767, 768, 769]);
  });

  it("a matching time at the cursor is a continuation", async () => {
    const cursor = { lastIndex: 760, lastSystemSeconds: START + 760 * 300 };
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor });
    expect(result.discontinuities).toEqual([]);
    expect(result.records.map((r) => r.index)).toEqual([761, 762, 763, 764]);
  });

  it("a different receiver is reported (serials compared case-insensitively) and read without cursor", async () => {
    const reader = new IncrementalReader(fake);
    const same = await reader.readNew(EGV, { cursor: { lastIndex: 760 }, expectedSerial: "sm12345678" });
    expect(same.discontinuities).toEqual([]);
    const other = await reader.readNew(EGV, {
      cursor: { lastIndex: 760 },
      expectedSerial: "SM99999999",
      backfillLimit: 3,
    });
    expect(other.discontinuities).toEqual([
      { kind: "receiver-changed", expectedSerial: "SM99999999", actualSerial: "SM12345678" },
    ]);
    expect(other.records.map((r) => r.index)).toEqual([762, 763, 764]);
    // The identity is read once per connection.
    expect(fake.count("ReadFirmwareHeader")).toBe(1);
  });

  it("a serial given up front costs no identity read", async () => {
    const reader = new IncrementalReader(fake, { serial: "SM12345678" });
    await reader.readNew(EGV, { cursor: { lastIndex: 760 }, expectedSerial: "SM12345678" });
    expect(fake.count("ReadFirmwareHeader")).toBe(0);
  });
});

describe("bad pages and records", () => {
  it("a bad record is reported and the rest returned", async () => {
    const fake = new FakeReceiver();
    const pages = egvG4Pages(0, 75, START);
    const bad = pages[1] as Uint8Array;
    bad[28 + 5 * 13 + 8] = (bad[28 + 5 * 13 + 8] ?? 0) ^ 0x40;
    fake.addPartition(EGV, { revision: 2, recordLength: 13, pages: pageMap(0, pages) });
    const result = await new IncrementalReader(fake).readNew(EGV);
    expect(result.records).toHaveLength(75);
    expect(result.problems).toMatchObject([{ code: "RECORD_BAD_CRC", index: 43, count: 1, pageNumber: 1 }]);
  });

  it("a page with a bad header CRC becomes one problem covering its indexes", async () => {
    const fake = new FakeReceiver();
    const pages = egvG4Pages(0, 3 * 38 - 1, START);
    const bad = pages[1] as Uint8Array;
    bad[26] = (bad[26] ?? 0) ^ 0xff; // header CRC byte: the codec's type/page check still passes
    fake.addPartition(EGV, { revision: 2, recordLength: 13, pages: pageMap(0, pages) });
    const result = await new IncrementalReader(fake).readNew(EGV);
    expect(result.records).toHaveLength(2 * 38);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({
      code: "PAGE_BAD_CRC",
      pageNumber: 1,
      index: 38,
      count: 38,
      revision: null,
    });
    expect(result.problems[0]?.hex.split(" ")).toHaveLength(528);
  });

  it("problems at or before the cursor are not reported again", async () => {
    const fake = new FakeReceiver();
    const pages = egvG4Pages(0, 75, START);
    const bad = pages[1] as Uint8Array;
    bad[28 + 8] = (bad[28 + 8] ?? 0) ^ 0x40; // index 38
    fake.addPartition(EGV, { revision: 2, recordLength: 13, pages: pageMap(0, pages) });
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 40 } });
    expect(result.problems).toEqual([]);
    expect(result.records[0]?.index).toBe(41);
  });
});

describe("record lengths without PartitionInfo", () => {
  it("learns the length from the last page's revision (touchscreen type 18 is not listed)", async () => {
    const fake = new FakeReceiver();
    const pages = [0, 1, 2].map((p) =>
      page({
        recordType: 18,
        revision: 5,
        pageNumber: p,
        perPage: 20,
        records: Array.from({ length: p === 2 ? 3 : 20 }, (_, k) =>
          egvTouch({
            systemSeconds: START + (p * 20 + k) * 300,
            displaySeconds: START + (p * 20 + k) * 300,
            glucose: 100,
          }),
        ),
      }),
    );
    fake.addPartition(18, { revision: 5, recordLength: 25, pages: pageMap(0, pages), unlisted: true });
    const reader = new IncrementalReader(fake);
    const result = await reader.readNew(18);
    expect(result.records.map((r) => r.index)).toEqual(Array.from({ length: 43 }, (_, i) => i));
    expect(fake.pageRequests).toEqual([1, 2]); // the last page first, then the rest
    fake.resetCounts();
    const next = await reader.readNew(18, { cursor: { lastIndex: 42 } });
    expect(next.records).toEqual([]);
    expect(fake.pageRequests).toEqual([1]); // the learned length is kept for the connection
  });

  it("a receiver refusing PartitionInfo is handled the same way", async () => {
    const fake = new FakeReceiver();
    fake.partitionInfoAvailable = false;
    egvPartition(fake, 0, 80);
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 40 } });
    expect(result.records.map((r) => r.index)).toEqual(Array.from({ length: 40 }, (_, i) => 41 + i));
  });

  it("an impossible advertised length is not trusted", async () => {
    const fake = new FakeReceiver();
    fake.addPartition(EGV, { revision: 2, recordLength: 600, pages: pageMap(0, egvG4Pages(0, 80, START)) });
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 70 } });
    expect(result.problems).toEqual([]);
    expect(result.records.map((r) => r.index)).toEqual(Array.from({ length: 10 }, (_, i) => 71 + i));
  });

  it("one G4 page of one record", async () => {
    const fake = new FakeReceiver();
    fake.addPartition(EGV, {
      revision: 2,
      recordLength: 13,
      pages: pageMap(7, [
        page({
          recordType: 4,
          revision: 2,
          pageNumber: 7,
          perPage: 38,
          records: [egvG4({ systemSeconds: 1, displaySeconds: 1, glucose: 90 })],
        }),
      ]),
    });
    const result = await new IncrementalReader(fake).readNew(EGV);
    expect(result.records.map((r) => [r.index, r.glucose])).toEqual([[266, 90]]);
  });
});
