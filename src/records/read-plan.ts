/**
 * Which pages one incremental read requests (spec receiver-protocol §4.5, §4.9, §10 #5, #6), from
 * the page range, the record length, the cursor and the caller's record budget. Pure arithmetic.
 *
 * The range is the receiver's word and is never trusted to size work: a read requests at most the
 * pages that `recordBudget` records can fill, plus one (the newest page may be partly filled), and
 * those are the newest pages of the range. A range of 0..0xFFFFFFFE costs the same as a real one.
 *
 *   window    = the last ⌈budget / perPage⌉ + 1 pages of the range
 *   start     = with a cursor: the page holding cursor + 1, but not before the window
 *               without:       the window's first page
 */
import type { Discontinuity, RecordCursor } from "./cursor.js";

/** Records the reader reads when the caller names no budget: 100 days of one record per 5 minutes. */
export const DEFAULT_RECORD_BUDGET = 28_800;
/** Pages one read requests at most, whatever the budget. */
export const MAX_PAGES_PER_READ = 2048;

export interface PlanInput {
  readonly firstPage: number;
  readonly lastPage: number;
  /** Records per page of the partition (from its record length). */
  readonly perPage: number;
  readonly cursor: RecordCursor | undefined;
  /** Records the caller can use at most (its backfill window), ≥ 1. */
  readonly recordBudget: number;
}

export interface ReadPlan {
  /** First page to read; the last is always the range's last page. */
  readonly startPage: number;
  readonly lastPage: number;
  /** The cursor still in force (undefined when the range shows it belongs to an erased history). */
  readonly cursor: RecordCursor | undefined;
  readonly discontinuities: readonly Discontinuity[];
}

/** Pages a budget of `recordBudget` records can need: ⌈budget / perPage⌉ + 1, at most MAX_PAGES_PER_READ. */
export function budgetPages(recordBudget: number, perPage: number): number {
  return Math.min(MAX_PAGES_PER_READ, Math.ceil(recordBudget / perPage) + 1);
}

export function planRead(input: PlanInput): ReadPlan {
  const { firstPage, lastPage, perPage, recordBudget } = input;
  const windowStart = Math.max(firstPage, lastPage - budgetPages(recordBudget, perPage) + 1);
  const cursor = input.cursor;
  if (cursor === undefined) return { startPage: windowStart, lastPage, cursor, discontinuities: [] };

  const discontinuities: Discontinuity[] = [];
  // Beyond the last page: the indexes went backwards (§4.9), the history was erased.
  const newestPossible = (lastPage + 1) * perPage - 1;
  if (cursor.lastIndex > newestPossible) {
    discontinuities.push({
      kind: "erased",
      cursorIndex: cursor.lastIndex,
      newestIndex: null,
      reason: `cursor ${cursor.lastIndex} is beyond the last page (${lastPage})`,
    });
    return { startPage: windowStart, lastPage, cursor: undefined, discontinuities };
  }
  const oldestStored = firstPage * perPage;
  const next = cursor.lastIndex + 1;
  if (next < oldestStored) {
    discontinuities.push({ kind: "lost-to-wrap", firstLostIndex: next, lastLostIndex: oldestStored - 1 });
  }
  const firstWanted = Math.max(next, oldestStored);
  const windowFirstIndex = windowStart * perPage;
  if (firstWanted < windowFirstIndex) {
    discontinuities.push({
      kind: "beyond-budget",
      firstSkippedIndex: firstWanted,
      lastSkippedIndex: windowFirstIndex - 1,
    });
  }
  const startPage = Math.min(lastPage, Math.max(windowStart, Math.floor(next / perPage)));
  return { startPage, lastPage, cursor, discontinuities };
}
