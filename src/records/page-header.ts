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
 * records per page, the §4.5 index invariant) belong to the page decoder, which knows the record length.
 */
export function decodePageHeader(bytes: Uint8Array): PageHeader {
  if (bytes.length < PAGE_HEADER_LENGTH) {
    throw new SharebridgeError("PAGE_TRUNCATED", "page header needs 28 bytes", { length: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PAGE_HEADER_LENGTH);
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

export { PAGE_LENGTH };
