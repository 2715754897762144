/**
 * Builds one 528-byte database page (spec receiver-protocol §4.3, §4.4, §7.1): the header (written
 * by the wire module's page codec), then the records packed back to back from offset 28, each with
 * its own CRC; the rest of the page is FF (erased flash).
 */
import { SharebridgeError } from "../../errors.js";
import { PAGE_HEADER_LENGTH, PAGE_LENGTH, recordsPerPage, writePageHeader } from "../../wire/page.js";

export interface PageContent {
  readonly recordType: number;
  readonly revision: number;
  readonly pageNumber: number;
  readonly firstRecordIndex: number;
  readonly recordLength: number;
  /** Encoded records, each exactly `recordLength` bytes, at most floor(500 / L). */
  readonly records: readonly Uint8Array[];
}

export function buildPage(page: PageContent): Uint8Array {
  const perPage = recordsPerPage(page.recordLength);
  if (page.records.length > perPage) {
    throw new SharebridgeError("INTERNAL", "page overfull", { count: page.records.length, perPage });
  }
  const out = new Uint8Array(PAGE_LENGTH).fill(0xff);
  writePageHeader(out, { ...page, recordCount: page.records.length });
  let offset = PAGE_HEADER_LENGTH;
  for (const record of page.records) {
    if (record.length !== page.recordLength) {
      throw new SharebridgeError("INTERNAL", "record length differs from the partition's", {
        length: record.length,
        recordLength: page.recordLength,
      });
    }
    out.set(record, offset);
    offset += record.length;
  }
  return out;
}
