/**
 * Reading only what is new (spec receiver-protocol §4.5, §4.9; DESIGN.md §7).
 *
 * A cursor is the last global record index already handled for a partition. Global indexes are
 * stable for the life of the receiver (`FirstRecordIndex = PageNumber × recordsPerPage`, §4.5), so
 * the page holding the next record is `floor((last + 1) / recordsPerPage)`. Each read:
 *
 *   ReadDatabasePageRange ──► start = max(firstPage, floor((last + 1) / perPage))
 *        ──► readPages(start … lastPage), 4 per request ──► decode records with index > last
 *
 * In steady state (one new reading since the last cycle) that is one page-range request and one
 * one-page read. Once per connection the reader also asks for PartitionInfo (record lengths, §5.9)
 * and, when the caller names the serial the cursor belongs to, the receiver's identity.
 *
 * Discontinuities are detected and reported, not thrown, so the sync engine decides what to do:
 * - `lost-to-wrap`: the cursor points before the oldest page still stored (storage wrapped, §4.1);
 *   reading resumes at the oldest record;
 * - `erased`: the partition's indexes went backwards (it is empty, ends before the cursor, or the
 *   record at the cursor has a different time), i.e. the database was erased; read as without cursor;
 * - `receiver-changed`: the serial differs from the one the cursor belongs to; read as without cursor.
 */
import { isSharebridgeError, RECORD_ERROR_CODES, type RecordErrorCode } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import {
  type PageRange,
  type PartitionInfo,
  ReadDatabasePageRange,
  ReadDatabasePartitionInfo,
} from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import { toHex } from "../util/hex.js";
import { MIN_RECORD_LENGTH, PAGE_DATA_LENGTH, recordsPerPage } from "../wire/page.js";
import { checkCursor, type Discontinuity, erasedReason, type RecordCursor } from "./cursor.js";
import { readIdentity } from "./identity.js";
import type { AdvertisedPartition } from "./layouts.js";
import { type DecodedPage, decodePage } from "./page.js";
import type { RecordProblem } from "./problems.js";
import type { DecodableRecordType, DexcomRecord, RecordByType } from "./record-types.js";

export interface ReadNewOptions {
  /** Where the last read stopped; undefined reads the whole partition (or `backfillLimit` records). */
  readonly cursor?: RecordCursor | undefined;
  /** The serial the cursor belongs to. A different receiver is reported and read as without cursor. */
  readonly expectedSerial?: string | undefined;
  /** Without a usable cursor, return at most this many of the newest records. Default: no limit. */
  readonly backfillLimit?: number | undefined;
  /** Called after each page request with (pages read, pages to read). */
  readonly onProgress?: ((pagesRead: number, pagesTotal: number) => void) | undefined;
}

export interface NewRecords<R extends DexcomRecord = DexcomRecord> {
  readonly recordType: number;
  /** The partition's page range at the time of the read (undefined: empty). */
  readonly range: PageRange;
  /** Records with an index above the cursor, oldest first. */
  readonly records: R[];
  /** Bad records and unreadable pages among the pages read. */
  readonly problems: RecordProblem[];
  readonly discontinuities: Discontinuity[];
  /**
   * Newest index the partition holds, from the last page's header (null when empty or unreadable).
   * A cursor advanced past reported problems should not go beyond it.
   */
  readonly newestIndex: number | null;
  readonly pagesRead: number;
}

export interface IncrementalReaderOptions {
  /** PartitionInfo already read on this connection; otherwise the reader asks once. */
  readonly partitionInfo?: PartitionInfo | undefined;
  /** The serial already read on this connection; otherwise the reader asks once when needed. */
  readonly serial?: string | undefined;
  readonly log?: Logger;
}

/** One reader per connection: caches PartitionInfo, learned record lengths and the serial. */
export class IncrementalReader {
  readonly #api: ReceiverApi;
  readonly #log: Logger;
  #partitionInfo: PartitionInfo | null | undefined;
  #serial: string | undefined;
  /** Record lengths learned from page revisions when PartitionInfo does not list a partition. */
  readonly #learned = new Map<number, AdvertisedPartition>();

  constructor(api: ReceiverApi, options: IncrementalReaderOptions = {}) {
    this.#api = api;
    this.#log = (options.log ?? silentLogger).child({ component: "incremental-reader" });
    this.#partitionInfo = options.partitionInfo;
    this.#serial = options.serial;
  }

  /** The receiver's serial number (read once per connection, spec §3.4). */
  async serial(): Promise<string> {
    this.#serial ??= (await readIdentity(this.#api)).serial;
    return this.#serial;
  }

  /** PartitionInfo, read once per connection; null when the receiver does not give a usable one. */
  async partitionInfo(): Promise<PartitionInfo | null> {
    if (this.#partitionInfo === undefined) {
      try {
        this.#partitionInfo = await this.#api.call(ReadDatabasePartitionInfo);
      } catch (error) {
        if (!isSharebridgeError(error, "RESPONSE_MALFORMED") && !isSharebridgeError(error, "RECEIVER_NAK")) {
          throw error;
        }
        this.#log.warn(
          { code: error.code },
          "no usable PartitionInfo; record lengths come from page revisions",
        );
        this.#partitionInfo = null;
      }
    }
    return this.#partitionInfo;
  }

  async readNew<T extends DecodableRecordType>(
    recordType: T,
    options?: ReadNewOptions,
  ): Promise<NewRecords<RecordByType[T]>>;
  async readNew(recordType: number, options?: ReadNewOptions): Promise<NewRecords>;
  async readNew(recordType: number, options: ReadNewOptions = {}): Promise<NewRecords> {
    const discontinuities: Discontinuity[] = [];
    let cursor = options.cursor;
    if (cursor !== undefined) checkCursor(cursor);
    if (options.expectedSerial !== undefined) {
      const actualSerial = await this.serial();
      // Serials appear in upper and lower case on different units (§3.4).
      if (actualSerial.toUpperCase() !== options.expectedSerial.toUpperCase()) {
        discontinuities.push({
          kind: "receiver-changed",
          expectedSerial: options.expectedSerial,
          actualSerial,
        });
        cursor = undefined;
      }
    }
    const first = await this.#read(recordType, cursor, options, discontinuities);
    if (first.erasedAfterRead) {
      // The cursor was beyond the database's new end: read again as a first read.
      return this.#read(recordType, undefined, options, discontinuities);
    }
    return first;
  }

  async #read(
    recordType: number,
    cursor: RecordCursor | undefined,
    options: ReadNewOptions,
    discontinuities: Discontinuity[],
  ): Promise<NewRecords & { erasedAfterRead?: boolean }> {
    const range = await this.#api.call(ReadDatabasePageRange, recordType);
    const empty = {
      recordType,
      range,
      records: [],
      problems: [],
      discontinuities,
      newestIndex: null,
      pagesRead: 0,
    };
    if (range === undefined) {
      if (cursor !== undefined) {
        discontinuities.push({
          kind: "erased",
          cursorIndex: cursor.lastIndex,
          newestIndex: null,
          reason: "partition is empty",
        });
      }
      return empty;
    }
    const partition = await this.#partitionFor(recordType);
    const state: ReadState = { recordType, range, partition, cursor, options, discontinuities, pagesRead: 0 };

    let lastPage: DecodedOrFailed | undefined;
    if (partition === undefined) {
      // Without a length the start page is unknown: read the last page first and learn it (§5.9).
      lastPage = await this.#readOne(state, range.lastPage);
      if (state.partition === undefined) {
        return { ...empty, problems: lastPage.problems, newestIndex: null, pagesRead: state.pagesRead };
      }
    }
    const perPage = recordsPerPage(state.partition?.recordLength ?? 1);

    // Cursor against the range: indexes beyond the last page mean the database went backwards;
    // indexes before the first page were lost when storage wrapped.
    if (cursor !== undefined) {
      const newestPossible = (range.lastPage + 1) * perPage - 1;
      const oldestStored = range.firstPage * perPage;
      if (cursor.lastIndex > newestPossible) {
        discontinuities.push({
          kind: "erased",
          cursorIndex: cursor.lastIndex,
          newestIndex: null,
          reason: `cursor ${cursor.lastIndex} is beyond the last page (${range.lastPage})`,
        });
        state.cursor = undefined;
      } else if (cursor.lastIndex + 1 < oldestStored) {
        discontinuities.push({
          kind: "lost-to-wrap",
          firstLostIndex: cursor.lastIndex + 1,
          lastLostIndex: oldestStored - 1,
        });
      }
    }
    const start = startPage(state, perPage);
    const decoded = await this.#readRange(state, start, range.lastPage, lastPage);
    const newest = decoded.at(-1);
    const newestIndex =
      newest?.page === undefined
        ? null
        : newest.page.header.firstRecordIndex + newest.page.header.recordCount - 1;

    // Indexes went backwards inside the last page, or the record at the cursor changed: erased.
    if (state.cursor !== undefined) {
      const erased = erasedReason(
        state.cursor,
        decoded.map((d) => d.page),
        newestIndex,
      );
      if (erased !== undefined) {
        discontinuities.push({
          kind: "erased",
          cursorIndex: state.cursor.lastIndex,
          newestIndex,
          reason: erased,
        });
        return { ...empty, erasedAfterRead: true };
      }
    }
    const after = state.cursor?.lastIndex ?? -1;
    let records: DexcomRecord[] = [];
    const problems: RecordProblem[] = [];
    for (const { page, problems: pageProblems } of decoded) {
      for (const problem of pageProblems)
        if (problem.index === null || problem.index + problem.count - 1 > after) problems.push(problem);
      if (page === undefined) continue;
      for (const record of page.records) if (record.index > after) records.push(record);
    }
    const limit = options.backfillLimit;
    if (state.cursor === undefined && limit !== undefined && records.length > limit) {
      records = records.slice(records.length - limit);
    }
    return { recordType, range, records, problems, discontinuities, newestIndex, pagesRead: state.pagesRead };
  }

  async #partitionFor(recordType: number): Promise<AdvertisedPartition | undefined> {
    const info = await this.partitionInfo();
    const entry = info?.partitions.find((p) => p.id === recordType);
    // A length no page can hold is not trusted: learn it from the pages instead.
    if (
      entry !== undefined &&
      entry.recordLength >= MIN_RECORD_LENGTH &&
      entry.recordLength <= PAGE_DATA_LENGTH
    ) {
      return entry;
    }
    return this.#learned.get(recordType);
  }

  /** Reads one page and learns the partition's record length from its revision when unknown. */
  async #readOne(state: ReadState, pageNumber: number): Promise<DecodedOrFailed> {
    const [bytes] = await this.#api.readPages(state.recordType, pageNumber, 1);
    state.pagesRead++;
    const result = decodeOne(state, pageNumber, bytes, undefined);
    const learnedLength = result.page?.recordLength ?? null;
    if (state.partition === undefined && result.page !== undefined && learnedLength !== null) {
      const learned = { revision: result.page.header.revision, recordLength: learnedLength };
      this.#learned.set(state.recordType, learned);
      state.partition = learned;
    }
    return result;
  }

  /** Pages start … end, reusing an already decoded last page. */
  async #readRange(
    state: ReadState,
    start: number,
    end: number,
    last: DecodedOrFailed | undefined,
  ): Promise<DecodedOrFailed[]> {
    const until = last === undefined ? end : end - 1;
    const count = until - start + 1;
    const results: DecodedOrFailed[] = [];
    if (count > 0) {
      const progress = state.options.onProgress;
      const pages = await this.#api.readPages(state.recordType, start, count, {
        onProgress: progress === undefined ? undefined : (n) => progress(n, count),
      });
      state.pagesRead += pages.length;
      const fromIndex = state.cursor === undefined ? 0 : state.cursor.lastIndex;
      for (let i = 0; i < count; i++) results.push(decodeOne(state, start + i, pages[i], fromIndex));
    }
    if (last !== undefined) results.push(last);
    return results;
  }
}

interface ReadState {
  readonly recordType: number;
  readonly range: NonNullable<PageRange>;
  partition: AdvertisedPartition | undefined;
  cursor: RecordCursor | undefined;
  readonly options: ReadNewOptions;
  readonly discontinuities: Discontinuity[];
  pagesRead: number;
}

interface DecodedOrFailed {
  readonly pageNumber: number;
  readonly page: DecodedPage | undefined;
  readonly problems: RecordProblem[];
}

/** The first page to read (spec §4.9), bounded by the backfill limit when there is no cursor. */
function startPage(state: ReadState, perPage: number): number {
  const { range, cursor, options } = state;
  if (cursor !== undefined)
    return Math.min(range.lastPage, Math.max(range.firstPage, Math.floor((cursor.lastIndex + 1) / perPage)));
  const limit = options.backfillLimit;
  if (limit === undefined) return range.firstPage;
  // The last page may hold a single record: one page more than the limit strictly needs.
  return Math.max(range.firstPage, range.lastPage - Math.ceil(limit / perPage));
}

/**
 * Decodes one page; a page that cannot be decoded at all (bad header CRC, header contradicting the
 * request) becomes one problem covering the indexes the page should hold.
 */
function decodeOne(
  state: ReadState,
  pageNumber: number,
  bytes: Uint8Array | undefined,
  fromIndex: number | undefined,
): DecodedOrFailed {
  const perPage = state.partition === undefined ? undefined : recordsPerPage(state.partition.recordLength);
  const failed = (code: RecordErrorCode, reason: string): DecodedOrFailed => ({
    pageNumber,
    page: undefined,
    problems: [
      {
        code,
        reason,
        recordType: state.recordType,
        pageNumber,
        revision: null,
        index: perPage === undefined ? null : pageNumber * perPage,
        count: perPage ?? 1,
        hex: bytes === undefined ? "" : toHex(bytes),
      },
    ],
  });
  if (bytes === undefined) return failed("PAGE_TRUNCATED", "the receiver returned fewer pages than asked");
  try {
    const page = decodePage(bytes, {
      recordType: state.recordType,
      pageNumber,
      partition: state.partition,
      ...(fromIndex === undefined ? {} : { fromIndex }),
    });
    return { pageNumber, page, problems: page.problems };
  } catch (error) {
    if (!isSharebridgeError(error) || !(RECORD_ERROR_CODES as readonly string[]).includes(error.code))
      throw error;
    return failed(error.code as RecordErrorCode, error.message);
  }
}

export type { Discontinuity, RecordCursor };
