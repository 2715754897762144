/**
 * Database page header (spec receiver-protocol §4.3), 28 bytes at the start of every 528-byte page:
 *
 *   0 u32 FirstRecordIndex   4 u32 NumberOfRecords   8 u8 RecordType   9 u8 Revision
 *  10 u32 PageNumber        14..25 three reserved u32  26 u16 CRC-16 of bytes 0..25
 */
import { SharebridgeError } from "../errors.js";
import { crc16 } from "../receiver/crc16.js";
import { PAGE_LENGTH } from "../receiver/packet.js";

export const PAGE_HEADER_LENGTH = 28;
/** Bytes after the header that hold records (spec §4.1). */
export const PAGE_DATA_LENGTH = 500;

export interface PageHeader {
  readonly firstRecordIndex: number;
  readonly recordCount: number;
  readonly recordType: number;
  readonly revision: number;
  readonly pageNumber: number;
}

/**
 * Decodes and checks the header at `bytes[0, 28)` (a whole page or a ReadDatabasePageHeader reply).
 * Throws PAGE_TRUNCATED or PAGE_BAD_CRC. Structural checks against the partition (record count versus
 * records per page, the §4.5 index invariant) are `checkPageHeader`'s, which needs the record length.
 */
export function decodePageHeader(bytes: Uint8Array): PageHeader {
  if (bytes.length < PAGE_HEADER_LENGTH) {
    throw new SharebridgeError("PAGE_TRUNCATED", "page header needs 28 bytes", { length: bytes.length });
  }
  return readPageHeader(new DataView(bytes.buffer, bytes.byteOffset, PAGE_HEADER_LENGTH), bytes);
}

/**
 * As `decodePageHeader`, over a view the caller already holds on the same bytes (the page decoder
 * builds one DataView per page and reuses it). `view` and `bytes` must start at the same byte and
 * hold at least 28 bytes.
 */
export function readPageHeader(view: DataView, bytes: Uint8Array): PageHeader {
  const stored = view.getUint16(26, true);
  const computed = crc16(bytes, 0, 26);
  if (stored !== computed) {
    throw new SharebridgeError("PAGE_BAD_CRC", "page header CRC mismatch", {
      stored,
      computed,
      pageNumber: view.getUint32(10, true),
      recordType: view.getUint8(8),
    });
  }
  return {
    firstRecordIndex: view.getUint32(0, true),
    recordCount: view.getUint32(4, true),
    recordType: view.getUint8(8),
    revision: view.getUint8(9),
    pageNumber: view.getUint32(10, true),
  };
}

/** Records a page of `recordLength`-byte records holds: floor(500 / L) (spec §4.2). */
export function recordsPerPage(recordLength: number): number {
  return Math.floor(PAGE_DATA_LENGTH / recordLength);
}

/**
 * Smallest record any layout can have: the 8-byte time prefix and the 2-byte CRC (§5.0). Bounds the
 * record count of a page whose record length is not known.
 */
export const MIN_RECORD_LENGTH = 10;

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

export { PAGE_LENGTH };
