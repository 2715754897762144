/**
 * The records a cycle reads, as a stream of chunks (DESIGN.md §7: reading and posting stream).
 *
 * The engine consumes chunks in index order and hands them on while later pages are still being
 * read. Discontinuities (an erased database, another receiver, records lost to a wrap) are known
 * before the first chunk, so the engine can decide which cursors still hold before anything moves.
 */
import type { Discontinuity, IncrementalReader, RecordCursor } from "../records/incremental-reader.js";
import type { RecordProblem } from "../records/problems.js";
import type { EgvRecord } from "../records/record-types.js";

/** Records from one page request (up to 4 pages), oldest first. */
export interface RecordChunk {
  readonly records: readonly EgvRecord[];
  /** Bad records and unreadable pages among them (reported, skipped). */
  readonly problems: readonly RecordProblem[];
  /** Pages read so far this cycle, and how many the read will take. */
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
  /** Without a usable cursor, at most this many of the newest records. */
  readonly recordBudget: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((pagesRead: number, pagesTotal: number) => void) | undefined;
}

/** Records per chunk when the reader delivers a whole read at once: what 4 G4 pages hold. */
const RECORDS_PER_CHUNK = 152;

export async function openRecordStream(
  reader: IncrementalReader,
  options: RecordStreamOptions,
): Promise<RecordStream> {
  const read = await reader.readNew(options.recordType, {
    cursor: options.cursor,
    backfillLimit: options.recordBudget,
    onProgress: options.onProgress,
  });
  const records = read.records as EgvRecord[];
  async function* chunks(): AsyncGenerator<RecordChunk> {
    const count = Math.max(1, Math.ceil(records.length / RECORDS_PER_CHUNK));
    for (let i = 0; i < count; i++) {
      yield {
        records: records.slice(i * RECORDS_PER_CHUNK, (i + 1) * RECORDS_PER_CHUNK),
        problems: i === 0 ? read.problems : [],
        pagesRead: read.pagesRead,
        pagesTotal: read.pagesRead,
      };
    }
  }
  return { discontinuities: read.discontinuities, chunks: chunks() };
}
