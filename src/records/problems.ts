/**
 * Bad records and pages, as reported (not thrown) by the page decoder and the incremental reader.
 *
 * A problem names what was wrong (a stable error code and a sentence), where (record type, page,
 * global index range) and carries the raw bytes as hex, so that an export or a bug report shows
 * exactly what the receiver stored. DESIGN.md §4: a bad record is reported and skipped; it never
 * aborts the page or the cycle.
 */
import type { RecordErrorCode } from "../errors.js";

export interface RecordProblem {
  readonly code: RecordErrorCode;
  readonly reason: string;
  readonly recordType: number;
  readonly pageNumber: number;
  /** Page header revision, when the header could be read. */
  readonly revision: number | null;
  /** Global index of the first affected record; null when not even the page's place is known. */
  readonly index: number | null;
  /** Records affected (1 for a single bad record; a whole page's worth for a bad page). */
  readonly count: number;
  /** The affected bytes, upper-case hex separated by spaces (spec §0.1 notation, src/util/hex.ts). */
  readonly hex: string;
}
