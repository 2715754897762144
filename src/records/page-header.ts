/**
 * Structural checks of a page header against the partition it belongs to (spec receiver-protocol
 * §4.3–§4.5). Reading the header's bytes is the wire module's (src/wire/page.ts); these checks need
 * the record length, which only the records layer knows.
 */
import { SharebridgeError } from "../errors.js";
import { MIN_RECORD_LENGTH, type PageHeader, recordsPerPage } from "../wire/page.js";

/**
 * Structural checks of a CRC-valid header (PAGE_HEADER_INVALID on failure):
 * - the record type and page number are those requested, when the caller knows them;
 * - NumberOfRecords ≤ records per page (so every record lies inside the data area);
 * - FirstRecordIndex = PageNumber × records per page (§4.5), without which record identity — the
 *   global index — could not be trusted.
 * `recordLength` undefined (no layout known) checks the count against the smallest possible record
 * and skips the index invariant.
 */
export function checkPageHeader(
  header: PageHeader,
  recordLength: number | undefined,
  expected: { readonly recordType?: number | undefined; readonly pageNumber?: number | undefined } = {},
): void {
  const context = { ...header, recordLength };
  if (expected.recordType !== undefined && header.recordType !== expected.recordType) {
    throw new SharebridgeError(
      "PAGE_HEADER_INVALID",
      `page holds record type ${header.recordType}, expected ${expected.recordType}`,
      context,
    );
  }
  if (expected.pageNumber !== undefined && header.pageNumber !== expected.pageNumber) {
    throw new SharebridgeError(
      "PAGE_HEADER_INVALID",
      `page header names page ${header.pageNumber}, expected ${expected.pageNumber}`,
      context,
    );
  }
  const perPage = recordsPerPage(recordLength ?? MIN_RECORD_LENGTH);
  if (header.recordCount > perPage) {
    throw new SharebridgeError(
      "PAGE_HEADER_INVALID",
      `page claims ${header.recordCount} records, at most ${perPage} fit`,
      context,
    );
  }
  if (recordLength !== undefined && header.firstRecordIndex !== header.pageNumber * perPage) {
    throw new SharebridgeError(
      "PAGE_HEADER_INVALID",
      `first record index ${header.firstRecordIndex} is not page ${header.pageNumber} × ${perPage} (§4.5)`,
      context,
    );
  }
}
