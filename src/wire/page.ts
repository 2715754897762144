/**
 * Database pages as they travel (spec receiver-protocol §4.1, §4.3): 528 bytes, a 28-byte header and
 * a 500-byte data area. The one place a page header is read or written; the page decoder
 * (src/records/page.ts), the page-read codec, the emulator, `receiver dump` and the tests use it.
 *
 *   0 u32 FirstRecordIndex   4 u32 NumberOfRecords   8 u8 RecordType   9 u8 Revision
 *  10 u32 PageNumber        14..25 three reserved u32  26 u16 CRC-16 of bytes 0..25
 */
import { SharebridgeError } from "../errors.js";
import { crc16, writeTrailingCrc } from "./crc16.js";

/** One database page on the wire: 28-byte header + 500-byte data area. */
export const PAGE_LENGTH = 528;
export const PAGE_HEADER_LENGTH = 28;
/** Bytes after the header that hold records (§4.1). */
export const PAGE_DATA_LENGTH = 500;
/** The header bytes the header CRC covers. */
const HEADER_CRC_OFFSET = 26;
/**
 * Smallest record any layout can have: the 8-byte time prefix and the 2-byte CRC (§5.0). Bounds the
 * record count of a page whose record length is not known.
 */
export const MIN_RECORD_LENGTH = 10;

export interface PageHeader {
  readonly firstRecordIndex: number;
  readonly recordCount: number;
  readonly recordType: number;
  readonly revision: number;
  readonly pageNumber: number;
}

/** Records a page of `recordLength`-byte records holds: floor(500 / L) (§4.2). */
export function recordsPerPage(recordLength: number): number {
  return Math.floor(PAGE_DATA_LENGTH / recordLength);
}

/** Whether the header at `bytes[offset, offset + 28)` holds its CRC (false when too short). */
export function pageHeaderIntact(bytes: Uint8Array, offset = 0): boolean {
  const at = offset + HEADER_CRC_OFFSET;
  if (at + 2 > bytes.length) return false;
  const stored = (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
  return stored === crc16(bytes, offset, at);
}

/**
 * Decodes and checks the header at `bytes[offset, offset + 28)` (a whole page, a page inside a
 * multi-page reply, or a ReadDatabasePageHeader reply). Throws PAGE_TRUNCATED or PAGE_BAD_CRC.
 * Checks against the partition (record count versus records per page, the §4.5 index invariant)
 * belong to the page decoder, which knows the record length.
 */
export function decodePageHeader(bytes: Uint8Array, offset = 0): PageHeader {
  if (bytes.length - offset < PAGE_HEADER_LENGTH) {
    throw new SharebridgeError("PAGE_TRUNCATED", "page header needs 28 bytes", {
      length: bytes.length - offset,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, PAGE_HEADER_LENGTH);
  if (!pageHeaderIntact(bytes, offset)) {
    throw new SharebridgeError("PAGE_BAD_CRC", "page header CRC mismatch", {
      stored: view.getUint16(HEADER_CRC_OFFSET, true),
      computed: crc16(bytes, offset, offset + HEADER_CRC_OFFSET),
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

/** Writes `header` with zeroed reserved fields and its CRC into `out[offset, offset + 28)`. */
export function writePageHeader(out: Uint8Array, header: PageHeader, offset = 0): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, PAGE_HEADER_LENGTH);
  view.setUint32(0, header.firstRecordIndex, true);
  view.setUint32(4, header.recordCount, true);
  view.setUint8(8, header.recordType);
  view.setUint8(9, header.revision);
  view.setUint32(10, header.pageNumber, true);
  out.fill(0, offset + 14, offset + HEADER_CRC_OFFSET);
  writeTrailingCrc(out, offset, offset + HEADER_CRC_OFFSET);
}
