/**
 * Property tests for the page decoder (STYLE.md lesson 16): whatever bytes arrive, the decoder either
 * returns records and reported problems or throws a SharebridgeError — never another exception, never
 * a hang (each run is bounded by the test timeout), and it keeps working afterwards.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { isSharebridgeError, RECORD_ERROR_CODES } from "../../src/errors.js";
import { layoutForRevision } from "../../src/records/layouts.js";
import { type DecodedPage, decodePage, type PageExpectation } from "../../src/records/page.js";
import { decodeManufacturingPage, decodeXmlRecordPage } from "../../src/records/xml-record.js";
import { writeTrailingCrc } from "../../src/wire/crc16.js";
import { FIXTURE_PAGES, fixturePage } from "./support/fixtures.js";

const PAGE = 528;

/** Runs the decoder; returns the result, or undefined after a SharebridgeError of a record code. */
function decodeOrTypedError(page: Uint8Array, expect_: PageExpectation = {}): DecodedPage | undefined {
  try {
    const decoded = decodePage(page, expect_);
    // Every record and every problem lies inside the header's count.
    const { firstRecordIndex, recordCount } = decoded.header;
    for (const r of decoded.records) {
      expect(r.index).toBeGreaterThanOrEqual(firstRecordIndex);
      expect(r.index).toBeLessThan(firstRecordIndex + recordCount);
    }
    // At most one problem per record, besides the page's own index-invariant report.
    const recordProblems = decoded.problems.filter((p) => p.code !== "PAGE_INDEX_MISMATCH");
    expect(decoded.records.length + recordProblems.length).toBeLessThanOrEqual(Math.max(recordCount, 1));
    for (const p of decoded.problems) expect(RECORD_ERROR_CODES).toContain(p.code);
    return decoded;
  } catch (error) {
    if (!isSharebridgeError(error)) throw error;
    expect(RECORD_ERROR_CODES).toContain(error.code);
    return undefined;
  }
}

function withHeaderCrc(page: Uint8Array): Uint8Array {
  writeTrailingCrc(page, 0, 26);
  return page;
}

/** (type, revision) pairs the spec knows, so random pages reach every decoder. */
const KNOWN = [
  [0, 1],
  [1, 1],
  [2, 1],
  [3, 1],
  [4, 2],
  [4, 4],
  [4, 5],
  [18, 5],
  [5, 2],
  [5, 3],
  [7, 1],
  [7, 2],
  [10, 1],
  [10, 3],
  [11, 1],
  [12, 3],
  [12, 5],
  [12, 6],
] as const;

/**
 * A page with a valid header for a known layout (coherent index and count) whose records are random
 * bytes with valid CRCs: exercises every decoder on content it has never seen.
 */
const validRandomPage = fc
  .record({
    kind: fc.constantFrom(...KNOWN),
    pageNumber: fc.integer({ min: 0, max: 100_000 }),
    fill: fc.uint8Array({ minLength: 500, maxLength: 500 }),
    count: fc.nat(50),
  })
  .map(({ kind, pageNumber, fill, count }) => {
    const [type, revision] = [kind[0], kind[1]];
    const length = layoutForRevision(type, revision)?.length ?? 500;
    const perPage = Math.floor(500 / length);
    const records = Math.min(count, perPage);
    const page = new Uint8Array(PAGE).fill(0xff);
    page.set(fill, 28);
    const view = new DataView(page.buffer);
    view.setUint32(0, pageNumber * perPage, true);
    view.setUint32(4, records, true);
    view.setUint8(8, type);
    view.setUint8(9, revision);
    view.setUint32(10, pageNumber, true);
    for (let k = 0; k < records; k++) {
      const start = 28 + k * length;
      writeTrailingCrc(page, start, start + length - 2);
    }
    return { page: withHeaderCrc(page), records };
  });

describe("page decoder under random input", () => {
  test.prop([fc.uint8Array({ minLength: 0, maxLength: 1200 })])("random bytes of any length", (bytes) => {
    decodeOrTypedError(bytes);
  });

  test.prop([fc.uint8Array({ minLength: PAGE, maxLength: PAGE })])(
    "random pages with a valid header CRC",
    (bytes) => {
      decodeOrTypedError(withHeaderCrc(bytes));
      decodeOrTypedError(bytes, {
        partition: { revision: bytes[9] ?? 0, recordLength: (bytes[20] ?? 0) + 1 },
      });
    },
  );

  test.prop([validRandomPage], { numRuns: 1000 })(
    "random record content with valid CRCs decodes or is reported",
    ({ page, records }) => {
      const decoded = decodeOrTypedError(page);
      expect(decoded).toBeDefined();
      expect((decoded?.records.length ?? 0) + (decoded?.problems.length ?? 0)).toBe(records);
    },
  );

  test.prop(
    [
      fc.constantFrom(...FIXTURE_PAGES),
      fc.array(fc.nat(PAGE * 8 - 1), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
    ],
    {
      numRuns: 1000,
    },
  )("bit-flipped real pages", (name, bits, fixHeader) => {
    const page = fixturePage(name);
    for (const bit of bits) page[bit >>> 3] = (page[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
    decodeOrTypedError(fixHeader ? withHeaderCrc(page) : page);
    for (const fn of [decodeXmlRecordPage, decodeManufacturingPage]) {
      try {
        fn(page);
      } catch (error) {
        expect(isSharebridgeError(error)).toBe(true);
      }
    }
  });

  test.prop([fc.uint8Array({ minLength: PAGE, maxLength: PAGE })])(
    "the decoder still works after a failure",
    (bytes) => {
      decodeOrTypedError(bytes);
      expect(decodePage(fixturePage("ecc1-page-4.312.hex")).records).toHaveLength(23);
    },
  );
});

describe("single bit flips in a real EGV page are always caught", () => {
  // CRC-16 detects every single-bit error, so each flip must surface as an error or a problem.
  test.prop([fc.nat(PAGE * 8 - 1)])("flip one bit inside the used area", (bit) => {
    const used = 28 + 23 * 13;
    const at = bit % (used * 8);
    const page = fixturePage("ecc1-page-4.312.hex");
    page[at >>> 3] = (page[at >>> 3] ?? 0) ^ (1 << (at & 7));
    const decoded = decodeOrTypedError(page);
    const outcome =
      decoded === undefined
        ? "page refused"
        : { problems: decoded.problems.length, records: decoded.records.length };
    // A flip in the 28-byte header fails the header CRC; one in a record fails that record's CRC.
    expect(outcome).toEqual(at < 28 * 8 ? "page refused" : { problems: 1, records: 22 });
  });
});
