/**
 * One partition of the emulated database: its records (encoded and as model objects) and the page
 * arithmetic of spec receiver-protocol §4.5–§4.6.
 *
 * Indexes: record k of page p has global index p × recordsPerPage + k, for the life of the receiver
 * (§4.5). Wrap drops whole pages from the front, so the first retained record is always the first
 * of `firstPage`; erase empties the partition and restarts indexes at 0.
 *
 * A replayed partition (replay.ts) starts with real pages, served byte for byte; its generated
 * records continue the indexes after them: on the newest replayed page when it has room and the
 * profile's layout (its replayed records then lead the encoded records, and the page is rebuilt once
 * a generated record joins it), else from the next page. Page numbers between replayed pages that
 * the replay lacks read as erased flash.
 */

import { decodePageHeader, PAGE_HEADER_LENGTH, PAGE_LENGTH, recordsPerPage } from "../../wire/page.js";
import type { ModelPartition, ModelRecord, NewRecord } from "./model.js";
import { buildPage } from "./page-builder.js";
import type { PartitionSpec } from "./profiles.js";
import { encodeRecord } from "./record-encoders.js";

export interface PageRange {
  readonly firstPage: number;
  readonly lastPage: number;
}

export class Partition {
  readonly spec: PartitionSpec;
  readonly recordsPerPage: number;
  /** Most pages kept; the oldest page is dropped when a new one would exceed it (storage wrap). */
  readonly maxPages: number;
  /** Replayed pages served as they are, all before the first page of `#encoded`… */
  #verbatim = new Map<number, Uint8Array>();
  /** …and their page numbers, ascending. */
  #verbatimOrder: number[] = [];
  /** The replayed page generated records continue, as replayed, and how many records it held. */
  #continued: { readonly page: Uint8Array; readonly records: number } | undefined;
  /** Encoded records from `#firstIndex` on: the continued page's replayed ones, then generated ones. */
  #encoded: Uint8Array[] = [];
  /** The generated records as model objects, oldest first (replayed records are not modelled). */
  #records: ModelRecord[] = [];
  /** Global index of `#encoded[0]` (a multiple of recordsPerPage). */
  #firstIndex = 0;
  /** Global index the next record gets. */
  #nextIndex = 0;

  constructor(spec: PartitionSpec, maxPages = Number.POSITIVE_INFINITY) {
    this.spec = spec;
    this.recordsPerPage = recordsPerPage(spec.recordLength);
    this.maxPages = maxPages;
  }

  get records(): readonly ModelRecord[] {
    return this.#records;
  }

  get nextIndex(): number {
    return this.#nextIndex;
  }

  /**
   * Starts the (empty) partition from replayed pages of its type, sorted by page number (replay.ts
   * checked them): see the module comment.
   */
  replay(pages: readonly Uint8Array[]): void {
    const last = pages.at(-1);
    if (last === undefined) return;
    for (const page of pages) this.#verbatim.set(decodePageHeader(page).pageNumber, page);
    const header = decodePageHeader(last);
    const perPage = this.recordsPerPage;
    const continues =
      header.revision === this.spec.revision &&
      header.firstRecordIndex === header.pageNumber * perPage &&
      header.recordCount < perPage;
    if (continues) {
      this.#verbatim.delete(header.pageNumber);
      this.#continued = { page: last, records: header.recordCount };
      this.#firstIndex = header.firstRecordIndex;
      const length = this.spec.recordLength;
      for (let k = 0; k < header.recordCount; k++) {
        const at = PAGE_HEADER_LENGTH + k * length;
        this.#encoded.push(last.slice(at, at + length));
      }
      this.#nextIndex = this.#firstIndex + header.recordCount;
    } else {
      this.#firstIndex = (header.pageNumber + 1) * perPage;
      this.#nextIndex = this.#firstIndex;
    }
    this.#verbatimOrder = [...this.#verbatim.keys()].sort((x, y) => x - y);
  }

  /** Stores a record at the next index and returns it with its index. */
  append<R extends ModelRecord>(record: NewRecord<R>): R {
    const stored = { index: this.#nextIndex, ...record } as unknown as R;
    this.#encoded.push(encodeRecord(this.spec, stored));
    this.#records.push(stored);
    this.#nextIndex++;
    const range = this.range();
    if (range !== undefined && range.lastPage - range.firstPage + 1 > this.maxPages) this.dropPages(1);
    return stored;
  }

  /** Inclusive page range, or undefined when empty (§4.6: the receiver then answers FFFFFFFF twice). */
  range(): PageRange | undefined {
    const records = this.#recordPages();
    const first = this.#verbatimOrder[0];
    const last = this.#verbatimOrder.at(-1);
    if (first === undefined || last === undefined) return records;
    return { firstPage: first, lastPage: records?.lastPage ?? last };
  }

  /** The 528-byte page `pageNumber`, or undefined outside the range. */
  page(pageNumber: number): Uint8Array | undefined {
    const range = this.range();
    if (range === undefined || pageNumber < range.firstPage || pageNumber > range.lastPage) return undefined;
    const verbatim = this.#verbatim.get(pageNumber);
    if (verbatim !== undefined) return verbatim.slice();
    const slice = this.#pageSlice(pageNumber);
    // Between replayed pages, a page the replay lacks: erased flash.
    if (slice === undefined) return new Uint8Array(PAGE_LENGTH).fill(0xff);
    const continued = this.#continued;
    if (continued !== undefined && slice.start === 0 && slice.end === continued.records) {
      return continued.page.slice();
    }
    return buildPage({
      recordType: this.spec.id,
      revision: this.spec.revision,
      pageNumber,
      firstRecordIndex: pageNumber * this.recordsPerPage,
      recordLength: this.spec.recordLength,
      records: this.#encoded.slice(slice.start, slice.end),
    });
  }

  /** The 28-byte header of page `pageNumber` (ReadDatabasePageHeader), or undefined outside the range. */
  header(pageNumber: number): Uint8Array | undefined {
    return this.page(pageNumber)?.slice(0, PAGE_HEADER_LENGTH);
  }

  /** The pages `#encoded` fills, or undefined when it is empty. */
  #recordPages(): PageRange | undefined {
    if (this.#encoded.length === 0) return undefined;
    return {
      firstPage: Math.floor(this.#firstIndex / this.recordsPerPage),
      lastPage: Math.floor((this.#nextIndex - 1) / this.recordsPerPage),
    };
  }

  #pageSlice(pageNumber: number): { start: number; end: number } | undefined {
    const range = this.#recordPages();
    if (range === undefined || pageNumber < range.firstPage || pageNumber > range.lastPage) return undefined;
    const start = pageNumber * this.recordsPerPage - this.#firstIndex;
    const end = Math.min(start + this.recordsPerPage, this.#encoded.length);
    return { start, end };
  }

  /**
   * Storage wrap: drops the `count` oldest pages (never the last page, which is being written).
   * Returns how many pages were dropped. A replayed page goes with the erased gap after it.
   */
  dropPages(count: number): number {
    let dropped = 0;
    for (; dropped < count; dropped++) {
      const range = this.range();
      if (range === undefined || range.firstPage === range.lastPage) break;
      if (this.#verbatim.delete(range.firstPage)) {
        this.#verbatimOrder.shift();
        continue;
      }
      this.#encoded.splice(0, this.recordsPerPage);
      this.#firstIndex += this.recordsPerPage;
      this.#continued = undefined;
      const kept = this.#records.findIndex((r) => r.index >= this.#firstIndex);
      this.#records.splice(0, kept === -1 ? this.#records.length : kept);
    }
    return dropped;
  }

  /** EraseDatabase: no records, indexes restart at 0. */
  erase(): void {
    this.#verbatim.clear();
    this.#verbatimOrder = [];
    this.#continued = undefined;
    this.#encoded = [];
    this.#records = [];
    this.#firstIndex = 0;
    this.#nextIndex = 0;
  }

  snapshot(): ModelPartition {
    return {
      recordType: this.spec.id,
      name: this.spec.name,
      revision: this.spec.revision,
      recordLength: this.spec.recordLength,
      recordsPerPage: this.recordsPerPage,
      range: this.range(),
      records: this.#records,
    };
  }
}
