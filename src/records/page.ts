/**
 * The page decoder, the hot path of the receiver side (DESIGN.md §4):
 *
 *   528-byte page ──► header + CRC (§4.3) ──► layout from revision × PartitionInfo (§5.9)
 *        ──► structure (count ≤ per page, §4.5 index invariant) ──► per record: CRC (§4.4), decode
 *
 * One DataView over the page, explicit little-endian reads at fixed offsets, no copy of the page and
 * no allocation per field: each good record costs its CRC and one object. A bad record (CRC mismatch,
 * impossible content) is reported with its index and bytes and skipped; the rest of the page goes on.
 * A page whose revision has no known layout is reported with its raw bytes, never guessed.
 *
 * What throws (SharebridgeError, the page as a whole is unusable): a page that is not 528 bytes
 * (PAGE_TRUNCATED), a header CRC mismatch (PAGE_BAD_CRC), a header that contradicts the request or
 * the partition's geometry (PAGE_HEADER_INVALID). A header that breaks the §4.5 index invariant is
 * reported (PAGE_INDEX_MISMATCH) and its records decoded (spec §10 #2).
 */
import { RECORD_ERROR_CODES, type RecordErrorCode, SharebridgeError } from "../errors.js";
import { toHex } from "../util/hex.js";
import { crc16 } from "../wire/crc16.js";
import {
  decodePageHeader,
  PAGE_DATA_LENGTH,
  PAGE_HEADER_LENGTH,
  PAGE_LENGTH,
  type PageHeader,
} from "../wire/page.js";
import { type AdvertisedPartition, chooseLayout } from "./layouts.js";
import { checkPageHeader, indexInvariantHolds } from "./page-header.js";
import type { RecordProblem } from "./problems.js";
import type { DecodableRecordType, DexcomRecord, RecordByType } from "./record-types.js";

export interface PageExpectation {
  /** The partition the page was read from; a header naming another type is PAGE_HEADER_INVALID. */
  readonly recordType?: number;
  /** The page number requested; a header naming another page is PAGE_HEADER_INVALID. */
  readonly pageNumber?: number;
  /** The partition's PartitionInfo entry (§5.9 step 1), when known. */
  readonly partition?: AdvertisedPartition | undefined;
  /**
   * Decode only records whose global index is at least this; earlier records are neither CRC-checked
   * nor decoded (the incremental reader already has them). Default: all.
   */
  readonly fromIndex?: number;
}

export interface DecodedPage<R extends DexcomRecord = DexcomRecord> {
  readonly header: PageHeader;
  /** Layout name used (e.g. "egv-g4"), or null when the revision has no known layout. */
  readonly layout: string | null;
  /** Record length the page was sliced by, or null when it could not be sliced. */
  readonly recordLength: number | null;
  /** Good records in page order, each with its global index. */
  readonly records: R[];
  /** Bad or undecodable records, in page order. */
  readonly problems: RecordProblem[];
}

/**
 * Decodes one page (a 528-byte view; it is not copied and records do not keep it alive).
 * With `expect.recordType` given, the records are typed as that partition's record shape.
 */
export function decodePage<T extends DecodableRecordType>(
  page: Uint8Array,
  expect: PageExpectation & { readonly recordType: T },
): DecodedPage<RecordByType[T]>;
export function decodePage(page: Uint8Array, expect?: PageExpectation): DecodedPage;
export function decodePage(page: Uint8Array, expect: PageExpectation = {}): DecodedPage {
  if (page.length !== PAGE_LENGTH) {
    throw new SharebridgeError("PAGE_TRUNCATED", `a page is exactly ${PAGE_LENGTH} bytes`, {
      length: page.length,
    });
  }
  const header = decodePageHeader(page);
  const view = new DataView(page.buffer, page.byteOffset, PAGE_LENGTH);
  const choice = chooseLayout(header.recordType, header.revision, expect.partition);
  const recordLength = choice.ok ? choice.layout.length : choice.sliceLength;
  checkPageHeader(header, recordLength, expect);

  const records: DexcomRecord[] = [];
  const problems: RecordProblem[] = [];
  if (recordLength !== undefined && !indexInvariantHolds(header, recordLength)) {
    const perPage = Math.floor(PAGE_DATA_LENGTH / recordLength);
    problems.push(
      problem(
        page,
        header,
        "PAGE_INDEX_MISMATCH",
        `first record index ${header.firstRecordIndex} is not page ${header.pageNumber} × ${perPage} ` +
          "(§4.5); its records are used as the header numbers them",
        header.firstRecordIndex,
        header.recordCount,
        0,
        PAGE_HEADER_LENGTH,
      ),
    );
  }
  const { recordType, firstRecordIndex, recordCount } = header;
  const fromIndex = expect.fromIndex ?? 0;

  if (!choice.ok) {
    reportUnsupported(page, header, recordLength, choice.reason, fromIndex, problems);
    return { header, layout: null, recordLength: recordLength ?? null, records, problems };
  }

  const { length, decode } = choice.layout;
  // Skip records the caller already has; k is the first record at or after fromIndex.
  const firstK = fromIndex > firstRecordIndex ? Math.min(recordCount, fromIndex - firstRecordIndex) : 0;
  for (let k = firstK; k < recordCount; k++) {
    const offset = PAGE_HEADER_LENGTH + k * length;
    const crcAt = offset + length - 2;
    const index = firstRecordIndex + k;
    const stored = view.getUint16(crcAt, true);
    const computed = crc16(page, offset, crcAt);
    if (stored !== computed) {
      problems.push(
        problem(
          page,
          header,
          "RECORD_BAD_CRC",
          `record CRC ${hex4(stored)} ≠ ${hex4(computed)}`,
          index,
          1,
          offset,
          offset + length,
        ),
      );
      continue;
    }
    try {
      records.push(decode(view, offset, recordType, index));
    } catch (error) {
      if (!(error instanceof SharebridgeError)) throw error;
      problems.push(
        problem(page, header, recordCode(error), error.message, index, 1, offset, offset + length),
      );
    }
  }
  return { header, layout: choice.layout.name, recordLength: length, records, problems };
}

function reportUnsupported(
  page: Uint8Array,
  header: PageHeader,
  sliceLength: number | undefined,
  reason: string,
  fromIndex: number,
  problems: RecordProblem[],
): void {
  const code = "RECORD_UNSUPPORTED_REVISION";
  if (sliceLength === undefined) {
    // Cannot even slice: the whole record area, once, covering every record the header counts.
    if (header.recordCount > 0) {
      const end = PAGE_HEADER_LENGTH + PAGE_DATA_LENGTH;
      problems.push(
        problem(
          page,
          header,
          code,
          reason,
          header.firstRecordIndex,
          header.recordCount,
          PAGE_HEADER_LENGTH,
          end,
        ),
      );
    }
    return;
  }
  for (let k = 0; k < header.recordCount; k++) {
    const index = header.firstRecordIndex + k;
    if (index < fromIndex) continue;
    const offset = PAGE_HEADER_LENGTH + k * sliceLength;
    problems.push(problem(page, header, code, reason, index, 1, offset, offset + sliceLength));
  }
}

function problem(
  page: Uint8Array,
  header: PageHeader,
  code: RecordProblem["code"],
  reason: string,
  index: number,
  count: number,
  start: number,
  end: number,
): RecordProblem {
  return {
    code,
    reason,
    recordType: header.recordType,
    pageNumber: header.pageNumber,
    revision: header.revision,
    index,
    count,
    hex: toHex(page.subarray(start, end)),
  };
}

/** Decoders throw record codes only; anything else is reported as content that does not fit the record. */
function recordCode(error: SharebridgeError): RecordErrorCode {
  const code = error.code as RecordErrorCode;
  return RECORD_ERROR_CODES.includes(code) ? code : "RECORD_TRUNCATED";
}

function hex4(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(4, "0")}`;
}
