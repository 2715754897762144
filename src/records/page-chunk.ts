/**
 * One read of consecutive pages, decoded: what a record stream yields per page request
 * (src/records/incremental-reader.ts). A page that cannot be decoded at all (bad header CRC, a header
 * contradicting the request) becomes one problem covering the indexes it should hold; the others
 * give their records and their bad records. Raw page bytes are not kept beyond the problems' hex.
 */
import { isSharebridgeError, RECORD_ERROR_CODES, type RecordErrorCode } from "../errors.js";
import { toHex } from "../util/hex.js";
import { recordsPerPage } from "../wire/page.js";
import type { AdvertisedPartition } from "./layouts.js";
import { type DecodedPage, decodePage } from "./page.js";
import type { RecordProblem } from "./problems.js";
import type { DexcomRecord } from "./record-types.js";

/** One page's outcome. */
export interface PageOutcome {
  readonly pageNumber: number;
  /** The decoded page, or undefined when it could not be decoded at all. */
  readonly page: DecodedPage | undefined;
  readonly problems: RecordProblem[];
}

export interface DecodeContext {
  readonly recordType: number;
  /** The layout the pages are sliced by (undefined: learn it from the page's revision). */
  readonly partition: AdvertisedPartition | undefined;
  /** Records with an index below it are neither checked nor decoded (the cursor's own is). */
  readonly fromIndex: number;
}

/** Decodes one page of a read; never throws for what the page holds. */
export function decodePageOutcome(
  context: DecodeContext,
  pageNumber: number,
  bytes: Uint8Array | undefined,
): PageOutcome {
  const perPage =
    context.partition === undefined ? undefined : recordsPerPage(context.partition.recordLength);
  const failed = (code: RecordErrorCode, reason: string): PageOutcome => ({
    pageNumber,
    page: undefined,
    problems: [
      {
        code,
        reason,
        recordType: context.recordType,
        pageNumber,
        revision: null,
        index: perPage === undefined ? null : pageNumber * perPage,
        count: perPage ?? 1,
        hex: bytes === undefined ? "" : toHex(bytes),
      },
    ],
  });
  if (bytes === undefined) return failed("PAGE_TRUNCATED", "the receiver returned fewer pages than asked");
  try {
    const page = decodePage(bytes, {
      recordType: context.recordType,
      pageNumber,
      partition: context.partition,
      fromIndex: context.fromIndex,
    });
    return { pageNumber, page, problems: page.problems };
  } catch (error) {
    if (!isSharebridgeError(error) || !(RECORD_ERROR_CODES as readonly string[]).includes(error.code)) {
      throw error;
    }
    return failed(error.code as RecordErrorCode, error.message);
  }
}

/** The records above `after` and the problems not wholly at or before it, in page order. */
export function newerThan(
  outcomes: readonly PageOutcome[],
  after: number,
): { records: DexcomRecord[]; problems: RecordProblem[] } {
  const records: DexcomRecord[] = [];
  const problems: RecordProblem[] = [];
  for (const { page, problems: pageProblems } of outcomes) {
    for (const problem of pageProblems) {
      if (problem.index === null || problem.index + problem.count - 1 > after) problems.push(problem);
    }
    if (page === undefined) continue;
    for (const record of page.records) if (record.index > after) records.push(record);
  }
  return { records, problems };
}

/** Newest index a decoded page holds (null when it could not be decoded). */
export function newestIndexOf(outcome: PageOutcome | undefined): number | null {
  const header = outcome?.page?.header;
  return header === undefined ? null : header.firstRecordIndex + header.recordCount - 1;
}
