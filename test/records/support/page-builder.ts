/**
 * Builds database pages and records for tests, following spec receiver-protocol §4.3–§4.5 and §5:
 * a 28-byte header with its CRC (the wire module's header writer, tested against the spec's bytes in
 * test/wire), records packed from offset 28 each with its own CRC, FF fill. Independent of the
 * record decoders under test (it writes fields with Buffer, not with the decoders' tables).
 */
import { crc16 } from "../../../src/wire/crc16.js";
import { writePageHeader } from "../../../src/wire/page.js";

export const PAGE = 528;

/** A record of `length` bytes: `fill` writes the fields, the trailing CRC is computed here. */
export function record(length: number, fill: (b: Buffer) => void): Uint8Array {
  const b = Buffer.alloc(length);
  fill(b);
  b.writeUInt16LE(crc16(b, 0, length - 2), length - 2);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

export interface PageSpec {
  recordType: number;
  revision: number;
  pageNumber: number;
  /** Records per page; FirstRecordIndex = pageNumber × this (§4.5). */
  perPage: number;
  records: readonly Uint8Array[];
  /** Overrides for broken-header tests. */
  firstRecordIndex?: number;
  recordCount?: number;
}

export function page(spec: PageSpec): Uint8Array {
  const b = Buffer.alloc(PAGE, 0xff);
  writePageHeader(b, {
    firstRecordIndex: spec.firstRecordIndex ?? spec.pageNumber * spec.perPage,
    recordCount: spec.recordCount ?? spec.records.length,
    recordType: spec.recordType,
    revision: spec.revision,
    pageNumber: spec.pageNumber,
  });
  let offset = 28;
  for (const r of spec.records) {
    b.set(r, offset);
    offset += r.length;
  }
  return new Uint8Array(b.buffer, b.byteOffset, PAGE);
}

export interface EgvFields {
  systemSeconds: number;
  displaySeconds: number;
  glucose: number;
  displayOnly?: boolean;
  trend?: number;
  noise?: number;
  readingSystemSeconds?: number;
  transmitterSeconds?: number;
  filteredRate?: number;
  algorithmState?: number;
  predicted?: number;
  /** Rev ≥ 5: bit 13 of the glucose word (TP's BACKFILLED flag, §5.1). */
  backfilled?: boolean;
}

function trendByte(f: EgvFields): number {
  return ((f.noise ?? 1) << 4) | (f.trend ?? 4);
}

function glucoseWord(f: EgvFields): number {
  return (f.glucose & 0x3ff) | (f.displayOnly === true ? 0x8000 : 0) | (f.backfilled === true ? 0x2000 : 0);
}

/** G4 EGV, 13 bytes (§5.1). */
export function egvG4(f: EgvFields): Uint8Array {
  return record(13, (b) => {
    b.writeUInt32LE(f.systemSeconds, 0);
    b.writeUInt32LE(f.displaySeconds, 4);
    b.writeUInt16LE(glucoseWord(f), 8);
    b.writeUInt8(trendByte(f), 10);
  });
}

/** Rev 4 (23 bytes) or rev 5 (25 bytes) EGV (§5.1). */
export function egvTouch(f: EgvFields, revision: 4 | 5 = 5): Uint8Array {
  return record(revision === 5 ? 25 : 23, (b) => {
    b.writeUInt32LE(f.systemSeconds, 0);
    b.writeUInt32LE(f.displaySeconds, 4);
    b.writeUInt16LE(glucoseWord(f), 8);
    b.writeUInt32LE(f.readingSystemSeconds ?? f.systemSeconds, 10);
    b.writeUInt32LE(f.transmitterSeconds ?? 0, 14);
    b.writeInt8(f.filteredRate ?? 0, 18);
    b.writeUInt8(trendByte(f), 19);
    b.writeUInt8(f.algorithmState ?? 6, 20);
    if (revision === 5) b.writeUInt16LE(f.predicted ?? 13, 21);
  });
}

/** G4 EGV pages: `count` readings 5 minutes apart from index `firstIndex` (38 per page). */
export function egvG4Pages(firstPage: number, lastIndex: number, startSeconds = 200_000_000): Uint8Array[] {
  const pages: Uint8Array[] = [];
  for (let p = firstPage; p * 38 <= lastIndex; p++) {
    const records: Uint8Array[] = [];
    for (let i = p * 38; i < (p + 1) * 38 && i <= lastIndex; i++) {
      const systemSeconds = startSeconds + i * 300;
      records.push(egvG4({ systemSeconds, displaySeconds: systemSeconds - 18_000, glucose: 80 + (i % 200) }));
    }
    pages.push(page({ recordType: 4, revision: 2, pageNumber: p, perPage: 38, records }));
  }
  return pages;
}
