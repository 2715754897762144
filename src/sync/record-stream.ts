/**
 * The records a cycle reads, as a stream of chunks (DESIGN.md §7: reading and posting stream), on top
 * of the incremental reader's stream (records/incremental-reader.ts).
 *
 * The engine consumes chunks in index order and hands them on while later pages are still being
 * read; memory holds one page request at a time. Discontinuities (an erased database, another
 * receiver, records lost to a wrap) are known before the first chunk, so the engine can decide which
 * cursors still hold before anything moves. A newest page that cannot be read ends the stream with a
 * receiver error once the readable chunks went out (receiver-protocol §10): never "0 new records".
 */
import { type RecordErrorCode, SharebridgeError } from "../errors.js";
import type { Discontinuity, IncrementalReader, RecordCursor } from "../records/incremental-reader.js";
import type { RecordProblem } from "../records/problems.js";
import type { EgvRecord } from "../records/record-types.js";

/** Records from one page request (up to 4 pages), oldest first. */
export interface RecordChunk {
  readonly records: readonly EgvRecord[];
  /** Bad records and unreadable pages among them (reported, skipped). */
  readonly problems: readonly RecordProblem[];
  /** Pages read so far this cycle, and how many the read will take at most. */
  readonly pagesRead: number;
  readonly pagesTotal: number;
}

export interface RecordStream {
  readonly discontinuities: readonly Discontinuity[];
  readonly chunks: AsyncIterable<RecordChunk>;
}

export interface RecordStreamOptions {
  readonly recordType: number;
  readonly cursor: RecordCursor | undefined;
  /** At most this many records are of use (the backfill window): it bounds the pages read. */
  readonly recordBudget: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((pagesRead: number, pagesTotal: number) => void) | undefined;
}

export async function openRecordStream(
  reader: IncrementalReader,
  options: RecordStreamOptions,
): Promise<RecordStream> {
  let pagesRead = 0;
  const stream = await reader.openStream(options.recordType, {
    cursor: options.cursor,
    recordBudget: options.recordBudget,
    signal: options.signal,
    onProgress: (read, planned) => {
      pagesRead = read;
      options.onProgress?.(read, planned);
    },
  });
  async function* chunks(): AsyncGenerator<RecordChunk> {
    let lastPageProblem: RecordProblem | undefined;
    for await (const chunk of stream) {
      const lastPage = stream.range?.lastPage;
      lastPageProblem = chunk.problems.find((p) => p.pageNumber === lastPage) ?? lastPageProblem;
      yield {
        records: chunk.records as EgvRecord[],
        problems: chunk.problems,
        pagesRead,
        pagesTotal: stream.pagesPlanned,
      };
    }
    if (stream.summary?.lastPageReadable === false) {
      const code: RecordErrorCode = lastPageProblem?.code ?? "PAGE_HEADER_INVALID";
      throw new SharebridgeError(code, "the receiver's newest database page could not be read", {
        recordType: options.recordType,
        page: stream.range?.lastPage,
        reason: lastPageProblem?.reason,
      });
    }
  }
  return { discontinuities: stream.discontinuities, chunks: chunks() };
}
