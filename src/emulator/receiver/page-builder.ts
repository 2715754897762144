/**
 * Builds one 528-byte database page (spec receiver-protocol §4.3, §4.4, §7.1):
 *
 *   0 u32 FirstRecordIndex  4 u32 NumberOfRecords  8 u8 RecordType  9 u8 Revision  10 u32 PageNumber
 *  14..25 reserved, 0       26 u16 CRC of bytes 0..25
 *  28 … records packed back to back, each with its own CRC; the rest of the page is FF (erased flash)
 */
import { SharebridgeError } from "../../errors.js";
import { writeTrailingCrc } from "../../receiver/crc16.js";
import { PAGE_LENGTH } from "../../receiver/packet.js";

export const PAGE_HEADER_LENGTH = 28;
export const PAGE_DATA_LENGTH = 500;

/** floor(500 / L) (§4.2). */
export function recordsPerPage(recordLength: number): number {
  return Math.floor(PAGE_DATA_LENGTH / recordLength);
}

export interface PageContent {
  readonly recordType: number;
  readonly revision: number;
  readonly pageNumber: number;
  readonly firstRecordIndex: number;
  readonly recordLength: number;
  /** Encoded records, each exactly `recordLength` bytes, at most floor(500 / L). */
  readonly records: readonly Uint8Array[];
}

/** Writes the 28-byte header with its CRC into `out[0, 28)`. */
export function writePageHeader(
  out: Uint8Array,
  page: Omit<PageContent, "records"> & { count: number },
): void {
  const view = new DataView(out.buffer, out.byteOffset, PAGE_HEADER_LENGTH);
  view.setUint32(0, page.firstRecordIndex, true);
  view.setUint32(4, page.count, true);
  view.setUint8(8, page.recordType);
  view.setUint8(9, page.revision);
  view.setUint32(10, page.pageNumber, true);
  for (let i = 14; i < 26; i++) out[i] = 0;
  writeTrailingCrc(out, 0, 26);
}

export function buildPage(page: PageContent): Uint8Array {
  const perPage = recordsPerPage(page.recordLength);
  if (page.records.length > perPage) {
    throw new SharebridgeError("INTERNAL", "page overfull", { count: page.records.length, perPage });
  }
  const out = new Uint8Array(PAGE_LENGTH).fill(0xff);
  writePageHeader(out, { ...page, count: page.records.length });
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
