/**
 * Reading only what is new (spec receiver-protocol §4.5, §4.9, §10; DESIGN.md §7), as a stream.
 *
 * A cursor is the last global record index already handled for a partition. Global indexes are
 * stable for the life of the receiver (`FirstRecordIndex = PageNumber × recordsPerPage`, §4.5), so
 * the page holding the next record is `floor((last + 1) / recordsPerPage)`. A read:
 *
 *   ReadDatabasePageRange ──► record length (PartitionInfo, or the last page's revision)
 *        ──► plan: discontinuities, start page, bounded by the record budget (read-plan.ts)
 *        ──► first page request, decoded at once (record-changed, erased-at-the-last-page)
 *        ──► stream: one chunk per page request, in index order ──► summary
 *
 * In steady state (one new reading since the last cycle) that is one page-range request and one
 * one-page read. Once per connection the reader also asks for PartitionInfo (record lengths, §5.9)
 * and, when the caller names the serial the cursor belongs to, the receiver's identity.
 *
 * Bounded whatever the receiver says: the range never sizes the work (read-plan.ts); memory holds
 * one page request at a time (up to 4 pages) besides what the caller keeps; the caller's AbortSignal
 * is checked before every request and ends the request in flight (ABORTED).
 */
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import {
  type PageRange,
  type PartitionEntry,
  type PartitionInfo,
  ReadDatabasePageRange,
  ReadDatabasePartitionInfo,
} from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import { MAX_PAGES_PER_REQUEST } from "../wire/packet.js";
import { MIN_RECORD_LENGTH, PAGE_DATA_LENGTH, recordsPerPage } from "../wire/page.js";
import { RECORD_TYPE, recordTypeName } from "../wire/record-types.js";
import { RESPONSE_CODE } from "../wire/response-codes.js";
import { checkCursor, type Discontinuity, type RecordCursor, recordChanged } from "./cursor.js";
import { readIdentity } from "./identity.js";
import type { AdvertisedPartition } from "./layouts.js";
import {
  type DecodeContext,
  decodePageOutcome,
  newerThan,
  newestIndexOf,
  type PageOutcome,
} from "./page-chunk.js";
import type { RecordProblem } from "./problems.js";
import { DEFAULT_RECORD_BUDGET, planRead } from "./read-plan.js";
import type { DecodableRecordType, DexcomRecord, RecordByType } from "./record-types.js";

export interface ReadStreamOptions {
  /** Where the last read stopped; undefined reads without a cursor (a first read). */
  readonly cursor?: RecordCursor | undefined;
  /** The serial the cursor belongs to. A different receiver is reported and read as without cursor. */
  readonly expectedSerial?: string | undefined;
  /**
   * Records the caller can use at most: its backfill window. The read requests at most the newest
   * ⌈budget / recordsPerPage⌉ + 1 pages, with or without a cursor. Default 28 800 (100 days of
   * 5-minute records); pages are capped at 2048 whatever the budget.
   */
  readonly recordBudget?: number | undefined;
  /** Checked before every page request; ends the request in flight. The read then throws ABORTED. */
  readonly signal?: AbortSignal | undefined;
  /** Called after each page request with (pages read, pages planned). */
  readonly onProgress?: ((pagesRead: number, pagesPlanned: number) => void) | undefined;
}

/** One page request's worth of a read. */
export interface RecordChunk<R extends DexcomRecord = DexcomRecord> {
  /** The first page of the request and how many pages it covered. */
  readonly firstPage: number;
  readonly pageCount: number;
  /** Records of these pages with an index above the cursor, in index order. */
  readonly records: R[];
  /** Bad records and unreadable pages among them (those wholly at or before the cursor left out). */
  readonly problems: RecordProblem[];
}

export interface ReadSummary {
  readonly recordType: number;
  /** The partition's page range as the receiver reported it (undefined: empty). */
  readonly range: PageRange;
  /**
   * Newest index the partition holds, from the last page's header (null when the partition is
   * empty or its last page could not be decoded). A cursor should not be advanced beyond it.
   */
  readonly newestIndex: number | null;
  /** False when the partition has pages but its last one could not be decoded. */
  readonly lastPageReadable: boolean;
  readonly pagesPlanned: number;
  readonly pagesRead: number;
  readonly recordsDelivered: number;
  readonly problems: number;
}

/**
 * An incremental read in progress. Everything a caller must know before using records —
 * discontinuities, the range, the pages it will request at most — is known when the stream is
 * returned; the records come chunk by chunk from iterating it (once), and `summary` is set when the
 * iteration has ended.
 */
export interface RecordStream<R extends DexcomRecord = DexcomRecord> extends AsyncIterable<RecordChunk<R>> {
  readonly recordType: number;
  readonly range: PageRange;
  readonly discontinuities: readonly Discontinuity[];
  /** Records with an index at or below this are not delivered (−1: no cursor in force). */
  readonly after: number;
  readonly pagesPlanned: number;
  /** Undefined until the iteration has ended. */
  readonly summary: ReadSummary | undefined;
}

export interface ReadNewOptions extends Omit<ReadStreamOptions, "recordBudget"> {
  /**
   * The record budget (`ReadStreamOptions.recordBudget`); without a usable cursor `readNew` also
   * keeps only this many of the newest records.
   */
  readonly backfillLimit?: number | undefined;
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
  /** As `ReadSummary.newestIndex`. */
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

/** Page-range refusals that mean "no such partition" on a receiver whose PartitionInfo does not list it. */
const NO_SUCH_PARTITION: ReadonlySet<number> = new Set([
  RESPONSE_CODE.INVALID_PARAM,
  RESPONSE_CODE.INVALID_COMMAND,
]);

/** One reader per connection: caches PartitionInfo, learned record lengths and the serial. */
export class IncrementalReader {
  readonly #api: ReceiverApi;
  readonly #log: Logger;
  #partitionInfo: PartitionInfo | null | undefined;
  #serial: string | undefined;

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

  /** Whether PartitionInfo lists the partition; undefined when there is no usable PartitionInfo. */
  async listsPartition(recordType: number): Promise<boolean | undefined> {
    const info = await this.partitionInfo();
    return info === null ? undefined : info.partitions.some((p) => p.id === recordType);
  }

  /**
   * Starts an incremental read of one partition. Resolves once the discontinuities are known and
   * the first page request is decoded; iterate the stream for the records.
   * Throws PARTITION_NOT_FOUND for a partition the receiver refuses and its PartitionInfo does not
   * list, ABORTED, and the link's errors.
   */
  openStream<T extends DecodableRecordType>(
    recordType: T,
    options?: ReadStreamOptions,
  ): Promise<RecordStream<RecordByType[T]>>;
  openStream(recordType: number, options?: ReadStreamOptions): Promise<RecordStream>;
  async openStream(recordType: number, options: ReadStreamOptions = {}): Promise<RecordStream> {
    const budget = options.recordBudget ?? DEFAULT_RECORD_BUDGET;
    if (!Number.isSafeInteger(budget) || budget < 1) {
      throw new SharebridgeError("REQUEST_INVALID", "the record budget must be a positive integer", {
        budget,
      });
    }
    throwIfAborted(options.signal);
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
    throwIfAborted(options.signal);
    const range = await this.#pageRange(recordType);
    const read = new PartitionRead(this.#api, recordType, range, options, discontinuities);
    if (range === undefined) {
      if (cursor !== undefined) {
        discontinuities.push({
          kind: "erased",
          cursorIndex: cursor.lastIndex,
          newestIndex: null,
          reason: "partition is empty",
        });
      }
      return read.empty();
    }
    const info = await this.partitionInfo();
    return read.start(
      info?.partitions.find((p) => p.id === recordType),
      cursor,
      budget,
    );
  }

  /**
   * The whole read at once, built on `openStream`: records oldest first, without a usable cursor
   * only the newest `backfillLimit`. Memory grows with what is returned; `openStream` does not.
   */
  async readNew<T extends DecodableRecordType>(
    recordType: T,
    options?: ReadNewOptions,
  ): Promise<NewRecords<RecordByType[T]>>;
  async readNew(recordType: number, options?: ReadNewOptions): Promise<NewRecords>;
  async readNew(recordType: number, options: ReadNewOptions = {}): Promise<NewRecords> {
    const { backfillLimit, ...rest } = options;
    const stream = await this.openStream(recordType, { ...rest, recordBudget: backfillLimit });
    let records: DexcomRecord[] = [];
    const problems: RecordProblem[] = [];
    for await (const chunk of stream) {
      records.push(...chunk.records);
      problems.push(...chunk.problems);
    }
    const summary = stream.summary as ReadSummary;
    if (stream.after < 0 && backfillLimit !== undefined && records.length > backfillLimit) {
      records = records.slice(records.length - backfillLimit);
    }
    return {
      recordType,
      range: stream.range,
      records,
      problems,
      discontinuities: [...stream.discontinuities],
      newestIndex: summary.newestIndex,
      pagesRead: summary.pagesRead,
    };
  }

  async #pageRange(recordType: number): Promise<PageRange> {
    try {
      return await this.#api.call(ReadDatabasePageRange, recordType);
    } catch (error) {
      const refused =
        isSharebridgeError(error, "RECEIVER_NAK") &&
        NO_SUCH_PARTITION.has(error.context["responseCode"] as number);
      if (refused && (await this.listsPartition(recordType)) === false) {
        throw new SharebridgeError(
          "PARTITION_NOT_FOUND",
          `this receiver has no ${recordTypeName(recordType)} partition (its PartitionInfo does not list it)`,
          recordType === RECORD_TYPE.BACKFILLED_EGV_DATA
            ? { recordType, hint: "only touchscreen receivers keep backfilled readings" }
            : { recordType },
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** The state of one partition read, from the page range to the summary. */
class PartitionRead {
  readonly #api: ReceiverApi;
  readonly #recordType: number;
  readonly #range: PageRange;
  readonly #options: ReadStreamOptions;
  readonly #discontinuities: Discontinuity[];
  #pagesRead = 0;
  #pagesPlanned = 1;

  constructor(
    api: ReceiverApi,
    recordType: number,
    range: PageRange,
    options: ReadStreamOptions,
    discontinuities: Discontinuity[],
  ) {
    this.#api = api;
    this.#recordType = recordType;
    this.#range = range;
    this.#options = options;
    this.#discontinuities = discontinuities;
  }

  empty(): RecordStream {
    this.#pagesPlanned = 0;
    return this.#stream([], -1, () => ({ newestIndex: null, lastPageReadable: true }));
  }

  /**
   * Reads the last page first: its header gives the newest index (indexes going backwards are seen
   * before anything else) and its revision the record length (§5.9: the pages win over PartitionInfo).
   * Then plans the read, decodes the first request (a changed record at the cursor is known before
   * any record is delivered) and returns the stream.
   */
  async start(
    entry: PartitionEntry | undefined,
    requested: RecordCursor | undefined,
    budget: number,
  ): Promise<RecordStream> {
    const range = this.#range as NonNullable<PageRange>;
    const lastBytes = (await this.#fetch(range.lastPage, 1))[0];
    const probe = decodePageOutcome(
      { recordType: this.#recordType, partition: undefined, fromIndex: 0 },
      range.lastPage,
      lastBytes,
    );
    const layout = this.#layout(probe, entry);
    if (layout === undefined) {
      const chunk: RecordChunk = {
        firstPage: range.lastPage,
        pageCount: 1,
        records: [],
        problems: probe.problems,
      };
      return this.#stream([chunk], -1, () => ({ newestIndex: null, lastPageReadable: false }));
    }
    let cursor = requested;
    const newest = newestIndexOf(probe);
    if (cursor !== undefined && newest !== null && newest < cursor.lastIndex) {
      this.#discontinuities.push({
        kind: "erased",
        cursorIndex: cursor.lastIndex,
        newestIndex: newest,
        reason: `newest index ${newest} is below the cursor ${cursor.lastIndex}`,
      });
      cursor = undefined;
    }
    const perPage = recordsPerPage(layout.recordLength);
    const plan = planRead({ ...range, perPage, cursor, recordBudget: budget });
    this.#discontinuities.push(...plan.discontinuities);
    this.#pagesPlanned = range.lastPage - plan.startPage + 1;
    const after = plan.cursor?.lastIndex ?? -1;
    const context: DecodeContext = {
      recordType: this.#recordType,
      partition: layout,
      fromIndex: Math.max(0, after),
    };
    const last = (): PageOutcome => decodePageOutcome(context, range.lastPage, lastBytes);

    // The first request now: what it shows about the cursor comes before any record.
    const first =
      plan.startPage === range.lastPage
        ? [last()]
        : await this.#decoded(plan.startPage, range.lastPage - 1, context);
    if (plan.cursor !== undefined) {
      const changed = recordChanged(
        plan.cursor,
        first.flatMap((o) => o.page?.records ?? []),
      );
      if (changed !== undefined) this.#discontinuities.push(changed);
    }
    let lastOutcome: PageOutcome | undefined = plan.startPage === range.lastPage ? first[0] : undefined;
    const read = this;
    async function* chunks(): AsyncGenerator<RecordChunk> {
      yield chunkOf(first, after);
      if (lastOutcome !== undefined) return;
      for (let page = plan.startPage + first.length; page < range.lastPage; ) {
        const next = await read.#decoded(page, range.lastPage - 1, context);
        yield chunkOf(next, after);
        page += next.length;
      }
      lastOutcome = last();
      yield chunkOf([lastOutcome], after);
    }
    return this.#stream(chunks(), after, () => {
      const newestIndex = newestIndexOf(lastOutcome);
      return { newestIndex, lastPageReadable: newestIndex !== null };
    });
  }

  /**
   * The layout the pages are sliced by: the last page's own revision when its layout is known (a
   * PartitionInfo entry that disagrees is reported), else PartitionInfo's usable length (for
   * reporting raw records), else none.
   */
  #layout(probe: PageOutcome, entry: PartitionEntry | undefined): AdvertisedPartition | undefined {
    const page = probe.page;
    const usable =
      entry !== undefined &&
      entry.recordLength >= MIN_RECORD_LENGTH &&
      entry.recordLength <= PAGE_DATA_LENGTH;
    if (page === undefined || page.layout === null || page.recordLength === null) {
      return usable ? entry : undefined;
    }
    const fromPages = { revision: page.header.revision, recordLength: page.recordLength };
    if (entry !== undefined && entry.recordLength !== fromPages.recordLength) {
      this.#discontinuities.push({
        kind: "partition-info-mismatch",
        advertisedRevision: entry.revision,
        advertisedLength: entry.recordLength,
        pageRevision: fromPages.revision,
        pageRecordLength: fromPages.recordLength,
      });
    }
    return fromPages;
  }

  /** One page request from `page` (up to 4 pages, not past `until`), decoded. */
  async #decoded(page: number, until: number, context: DecodeContext): Promise<PageOutcome[]> {
    const count = Math.min(MAX_PAGES_PER_REQUEST, until - page + 1);
    const pages = await this.#fetch(page, count);
    const outcomes: PageOutcome[] = [];
    for (let i = 0; i < count; i++) outcomes.push(decodePageOutcome(context, page + i, pages[i]));
    return outcomes;
  }

  async #fetch(page: number, count: number): Promise<Uint8Array[]> {
    const { signal, onProgress } = this.#options;
    throwIfAborted(signal);
    const pages = await this.#api.readPages(this.#recordType, page, count, { signal });
    this.#pagesRead += count;
    onProgress?.(this.#pagesRead, Math.max(this.#pagesPlanned, this.#pagesRead));
    return pages;
  }

  #stream(
    chunks: Iterable<RecordChunk> | AsyncIterable<RecordChunk>,
    after: number,
    ending: () => { newestIndex: number | null; lastPageReadable: boolean },
  ): RecordStream {
    const read = this;
    const pagesPlanned = this.#pagesPlanned;
    let summary: ReadSummary | undefined;
    let iterated = false;
    return {
      recordType: this.#recordType,
      range: this.#range,
      discontinuities: this.#discontinuities,
      after,
      pagesPlanned,
      get summary() {
        return summary;
      },
      async *[Symbol.asyncIterator]() {
        if (iterated) throw new SharebridgeError("INTERNAL", "a record stream is iterated once");
        iterated = true;
        let recordsDelivered = 0;
        let problems = 0;
        for await (const chunk of chunks) {
          recordsDelivered += chunk.records.length;
          problems += chunk.problems.length;
          yield chunk;
        }
        summary = {
          recordType: read.#recordType,
          range: read.#range,
          ...ending(),
          pagesPlanned,
          pagesRead: read.#pagesRead,
          recordsDelivered,
          problems,
        };
      },
    };
  }
}

function chunkOf(outcomes: readonly PageOutcome[], after: number): RecordChunk {
  const { records, problems } = newerThan(outcomes, after);
  return { firstPage: outcomes[0]?.pageNumber ?? 0, pageCount: outcomes.length, records, problems };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new SharebridgeError("ABORTED", "the read was cancelled");
}

export type { Discontinuity, RecordCursor };
