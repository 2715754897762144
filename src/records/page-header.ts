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
 * - NumberOfRecords ≤ records per page (so every record lies inside the data area).
 * `recordLength` undefined (no layout known) checks the count against the smallest possible record.
 * The §4.5 index invariant is not a reason to refuse a page (`indexInvariantHolds`).
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
}

/**
 * FirstRecordIndex = PageNumber × records per page (§4.5): verified on every public G4 page, not
 * proven for other receivers. A page that breaks it while its CRCs hold is reported, and its records
 * are used as numbered (spec §10 #2).
 */
export function indexInvariantHolds(header: PageHeader, recordLength: number): boolean {
  return header.firstRecordIndex === header.pageNumber * recordsPerPage(recordLength);
}
