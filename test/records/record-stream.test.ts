/**
 * The streaming read (issue 11; spec receiver-protocol §10 #5, #6): chunks in index order, one per
 * page request; discontinuities before any record; a summary at the end; the record budget bounds
 * the pages whatever range the receiver reports; cancellation between requests.
 */
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeFor } from "../../src/cli/exit-codes.js";
import { IncrementalReader, type RecordChunk } from "../../src/records/incremental-reader.js";
import type { EgvRecord } from "../../src/records/record-types.js";
import { FakeReceiver, pageMap } from "./support/fake-receiver.js";
import { egvG4, egvG4Pages, egvTouch, page } from "./support/page-builder.js";

const START = 200_000_000;
const EGV = 4;

function g4Receiver(firstPage: number, lastIndex: number): FakeReceiver {
  const fake = new FakeReceiver();
  fake.addPartition(EGV, {
    revision: 2,
    recordLength: 13,
    pages: pageMap(firstPage, egvG4Pages(firstPage, lastIndex, START)),
  });
  return fake;
}

async function collect<R extends EgvRecord>(
  chunks: AsyncIterable<RecordChunk<R>>,
): Promise<RecordChunk<R>[]> {
  const out: RecordChunk<R>[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

describe("record stream", () => {
  it("yields one chunk per page request, in index order, then a summary", async () => {
    const fake = g4Receiver(10, 20 * 38 + 4);
    const stream = await new IncrementalReader(fake).openStream(EGV, { cursor: { lastIndex: 13 * 38 + 7 } });
    expect(stream.discontinuities).toEqual([]);
    expect(stream.after).toBe(13 * 38 + 7);
    expect(stream.pagesPlanned).toBe(8);
    expect(stream.summary).toBeUndefined();
    // Opening read the last page (to learn the newest index) and the first request.
    expect(fake.pageRequests).toEqual([1, 4]);
    const chunks = await collect(stream);
    expect(chunks.map((c) => [c.firstPage, c.pageCount, c.records.length])).toEqual([
      [13, 4, 4 * 38 - 8],
      [17, 3, 3 * 38],
      [20, 1, 5],
    ]);
    const indexes = chunks.flatMap((c) => c.records.map((r) => r.index));
    expect(indexes).toEqual(Array.from({ length: 764 - 13 * 38 - 7 }, (_, i) => 13 * 38 + 8 + i));
    expect(stream.summary).toEqual({
      recordType: EGV,
      range: { firstPage: 10, lastPage: 20 },
      newestIndex: 764,
      lastPageReadable: true,
      pagesPlanned: 8,
      pagesRead: 8,
      recordsDelivered: indexes.length,
      problems: 0,
    });
  });

  it("never reads more pages than the record budget needs, whatever the range says", async () => {
    const fake = g4Receiver(0, 20 * 38 + 4);
    fake.ranges.set(EGV, [0, 0xfffffffe]);
    const reader = new IncrementalReader(fake);
    // A cursor in real data, a budget of 300 records: ⌈300 / 38⌉ + 1 = 9 pages at most, at the end.
    const error = await reader
      .openStream(EGV, { cursor: { lastIndex: 500 }, recordBudget: 300 })
      .then(async (stream) => collect(stream))
      .catch((e: unknown) => e);
    // The fake has no page 0xFFFFFFFE: the read ends with the receiver's refusal, after one request.
    expect(error).toMatchObject({ code: "RECEIVER_NAK" });
    expect(fake.pageRequests).toEqual([1]);
    expect(fake.count("ReadDatabasePages")).toBe(1);
  });

  it("plans the budget's pages over an absurd range, and reports what lies beyond them", async () => {
    const fake = g4Receiver(0, 20 * 38 + 4);
    fake.ranges.set(EGV, [0, 20]);
    const stream = await new IncrementalReader(fake).openStream(EGV, {
      cursor: { lastIndex: 40 },
      recordBudget: 100,
    });
    // ⌈100 / 38⌉ + 1 = 4 pages: 17…20.
    expect(stream.pagesPlanned).toBe(4);
    expect(stream.discontinuities).toEqual([
      { kind: "beyond-budget", firstSkippedIndex: 41, lastSkippedIndex: 17 * 38 - 1 },
    ]);
    const chunks = await collect(stream);
    expect(chunks.flatMap((c) => c.records.map((r) => r.index))[0]).toBe(17 * 38);
    expect(fake.pageRequests).toEqual([1, 3]);
  });

  it("stops between requests when the signal aborts (ABORTED)", async () => {
    const fake = g4Receiver(0, 20 * 38 + 4);
    const controller = new AbortController();
    const stream = await new IncrementalReader(fake).openStream(EGV, { signal: controller.signal });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const chunk of stream) {
        seen.push(chunk.firstPage);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ABORTED" });
    expect(exitCodeFor(error)).toBe(EXIT.INTERRUPTED);
    expect(seen).toEqual([0]);
    expect(fake.pageRequests).toEqual([1, 4]);
    await expect(
      new IncrementalReader(fake).openStream(EGV, { signal: controller.signal }),
    ).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("a PartitionInfo length that contradicts the pages is reported; the pages win and the cursor stays", async () => {
    const fake = new FakeReceiver();
    // PartitionInfo claims 20-byte records (25 a page) for what are G4 EGV pages (13 bytes, 38 a page).
    fake.addPartition(EGV, {
      revision: 2,
      recordLength: 20,
      pages: pageMap(0, egvG4Pages(0, 20 * 38 + 4, START)),
    });
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 760 } });
    expect(result.discontinuities).toEqual([
      {
        kind: "partition-info-mismatch",
        advertisedRevision: 2,
        advertisedLength: 20,
        pageRevision: 2,
        pageRecordLength: 13,
      },
    ]);
    expect(result.records.map((r) => r.index)).toEqual([761, 762, 763, 764]);
    expect(result.problems).toEqual([]);
  });

  it("uses the records of a page that breaks the §4.5 index invariant, and reports it", async () => {
    const fake = g4Receiver(0, 2 * 38 - 1);
    const shifted = page({
      recordType: EGV,
      revision: 2,
      pageNumber: 2,
      perPage: 38,
      firstRecordIndex: 2 * 38 + 5,
      records: [egvG4({ systemSeconds: START + 99_000, displaySeconds: START + 99_000, glucose: 120 })],
    });
    fake.partitions.get(EGV)?.pages.set(2, shifted);
    const result = await new IncrementalReader(fake).readNew(EGV, { cursor: { lastIndex: 2 * 38 - 1 } });
    expect(result.records.map((r) => [r.index, r.glucose])).toEqual([[2 * 38 + 5, 120]]);
    expect(result.problems).toMatchObject([
      { code: "PAGE_INDEX_MISMATCH", index: 2 * 38 + 5, pageNumber: 2 },
    ]);
    expect(result.discontinuities).toEqual([]);
  });

  it("an unreadable last page is a failed read: no newest index", async () => {
    const fake = g4Receiver(0, 80);
    const last = fake.partitions.get(EGV)?.pages.get(2) as Uint8Array;
    last[26] = (last[26] as number) ^ 0xff; // header CRC
    const stream = await new IncrementalReader(fake).openStream(EGV, { cursor: { lastIndex: 70 } });
    const chunks = await collect(stream);
    expect(chunks.flatMap((c) => c.problems.map((p) => p.code))).toEqual(["PAGE_BAD_CRC"]);
    expect(stream.summary).toMatchObject({ newestIndex: null, lastPageReadable: false });
  });
});

describe("BACKFILLED_EGV_DATA (type 18)", () => {
  const touchPages = (count: number) =>
    Array.from({ length: count }, (_, p) =>
      page({
        recordType: 18,
        revision: 5,
        pageNumber: p,
        perPage: 20,
        records: Array.from({ length: p === count - 1 ? 3 : 20 }, (_, k) =>
          egvTouch({
            systemSeconds: START + (p * 20 + k) * 300,
            displaySeconds: START + (p * 20 + k) * 300,
            glucose: 150,
            backfilled: true,
          }),
        ),
      }),
    );

  it("is read like EGV of the same revision, listed in PartitionInfo or not", async () => {
    for (const unlisted of [false, true]) {
      const fake = new FakeReceiver();
      fake.addPartition(18, { revision: 5, recordLength: 25, pages: pageMap(0, touchPages(3)), unlisted });
      const result = await new IncrementalReader(fake).readNew(18, { cursor: { lastIndex: 39 } });
      expect(result.records.map((r) => [r.kind, r.recordType, r.index, r.glucose])).toEqual([
        ["egv", 18, 40, 150],
        ["egv", 18, 41, 150],
        ["egv", 18, 42, 150],
      ]);
      expect(result.records[0]?.glucoseFlags).toBe(0x2000);
    }
  });

  it("on a receiver without the partition: PARTITION_NOT_FOUND naming it, exit code 3", async () => {
    const fake = new FakeReceiver();
    fake.refusedTypes.add(18);
    const error = await new IncrementalReader(fake).readNew(18).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PARTITION_NOT_FOUND" });
    expect((error as Error).message).toContain("this receiver has no BACKFILLED_EGV_DATA partition");
    expect(exitCodeFor(error)).toBe(EXIT.RECEIVER);
  });
});
