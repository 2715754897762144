/**
 * One partition of the emulated database: its records (encoded and as model objects) and the page
 * arithmetic of spec receiver-protocol §4.5–§4.6.
 *
 * Indexes: record k of page p has global index p × recordsPerPage + k, for the life of the receiver
 * (§4.5). Wrap drops whole pages from the front, so the first retained record is always the first
 * of `firstPage`; erase empties the partition and restarts indexes at 0.
 */

import { PAGE_HEADER_LENGTH, recordsPerPage, writePageHeader } from "../../wire/page.js";
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
  #encoded: Uint8Array[] = [];
  #records: ModelRecord[] = [];
  /** Global index of `#records[0]` (a multiple of recordsPerPage). */
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
    if (this.#records.length === 0) return undefined;
    return {
      firstPage: Math.floor(this.#firstIndex / this.recordsPerPage),
      lastPage: Math.floor((this.#nextIndex - 1) / this.recordsPerPage),
    };
  }

  /** The 528-byte page `pageNumber`, or undefined outside the range. */
  page(pageNumber: number): Uint8Array | undefined {
    const slice = this.#pageSlice(pageNumber);
    if (slice === undefined) return undefined;
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
    const slice = this.#pageSlice(pageNumber);
    if (slice === undefined) return undefined;
    const out = new Uint8Array(PAGE_HEADER_LENGTH);
    writePageHeader(out, {
      recordType: this.spec.id,
      revision: this.spec.revision,
      pageNumber,
      firstRecordIndex: pageNumber * this.recordsPerPage,
      recordCount: slice.end - slice.start,
    });
    return out;
  }

  #pageSlice(pageNumber: number): { start: number; end: number } | undefined {
    const range = this.range();
    if (range === undefined || pageNumber < range.firstPage || pageNumber > range.lastPage) return undefined;
    const start = pageNumber * this.recordsPerPage - this.#firstIndex;
    const end = Math.min(start + this.recordsPerPage, this.#records.length);
    return { start, end };
  }

  /**
   * Storage wrap: drops the `count` oldest pages (never the last page, which is being written).
   * Returns how many pages were dropped.
   */
  dropPages(count: number): number {
    const range = this.range();
    if (range === undefined) return 0;
    const dropped = Math.max(0, Math.min(count, range.lastPage - range.firstPage));
    const records = dropped * this.recordsPerPage;
    this.#encoded.splice(0, records);
    this.#records.splice(0, records);
    this.#firstIndex += records;
    return dropped;
  }

  /** EraseDatabase: no records, indexes restart at 0. */
  erase(): void {
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
