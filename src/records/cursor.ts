/**
 * The cursor of a partition — the last global record index already handled (spec receiver-protocol
 * §4.5, §4.9) — and what the receiver's current state says about it (`Discontinuity`).
 *
 * Indexes are the identity of records (§4.5). Only indexes going backwards (an empty partition, a
 * newest index below the cursor) or another serial mean an erased or different receiver, and only
 * those make the reader start again without the cursor (spec §10 #6). Everything else is reported
 * and the cursor kept: a record at the cursor whose time changed (flash damage or a clock edit), a
 * PartitionInfo that contradicts the pages, records lost to storage wrap or left beyond the record
 * budget.
 */
import { SharebridgeError } from "../errors.js";

export interface RecordCursor {
  /** Highest global index already handled. */
  readonly lastIndex: number;
  /**
   * SystemTime of the record at `lastIndex`, when known: if that record now has another time, the
   * reader reports it (`record-changed`) but keeps the cursor.
   */
  readonly lastSystemSeconds?: number | undefined;
}

export type Discontinuity =
  | {
      readonly kind: "lost-to-wrap";
      /** Records `firstLostIndex … lastLostIndex` were overwritten before they were read. */
      readonly firstLostIndex: number;
      readonly lastLostIndex: number;
    }
  | {
      /** Records newer than the cursor but older than the record budget's window are not read. */
      readonly kind: "beyond-budget";
      readonly firstSkippedIndex: number;
      readonly lastSkippedIndex: number;
    }
  | {
      /** Indexes went backwards: the database was erased (or the cursor belongs elsewhere). */
      readonly kind: "erased";
      readonly cursorIndex: number;
      /** Newest index the partition now holds (null when it is empty or unknown). */
      readonly newestIndex: number | null;
      readonly reason: string;
    }
  | { readonly kind: "receiver-changed"; readonly expectedSerial: string; readonly actualSerial: string }
  | {
      /** The record at the cursor has another SystemTime than when it was read: reported, cursor kept. */
      readonly kind: "record-changed";
      readonly index: number;
      readonly expectedSystemSeconds: number;
      readonly actualSystemSeconds: number;
    }
  | {
      /**
       * PartitionInfo's record length contradicts the pages' own layout (§5.9): the pages win, the
       * cursor is kept.
       */
      readonly kind: "partition-info-mismatch";
      readonly advertisedRevision: number;
      readonly advertisedLength: number;
      readonly pageRevision: number;
      readonly pageRecordLength: number;
    };

/** The kinds after which a cursor means nothing: the reader reads as without one. */
export const RESETTING_DISCONTINUITIES: ReadonlySet<Discontinuity["kind"]> = new Set([
  "erased",
  "receiver-changed",
]);

/** Refuses a cursor that is not an index (state files are read tolerantly, but not guessed). */
export function checkCursor(cursor: RecordCursor): void {
  if (!Number.isSafeInteger(cursor.lastIndex) || cursor.lastIndex < -1) {
    throw new SharebridgeError("HISTORY_DISCONTINUITY", "cursor index must be an integer ≥ −1", {
      lastIndex: cursor.lastIndex,
    });
  }
}

/** A `record-changed` report when the record at the cursor now has another SystemTime. */
export function recordChanged(
  cursor: RecordCursor,
  records: readonly { readonly index: number; readonly systemSeconds: number }[],
): Discontinuity | undefined {
  if (cursor.lastSystemSeconds === undefined) return undefined;
  const atCursor = records.find((r) => r.index === cursor.lastIndex);
  if (atCursor === undefined || atCursor.systemSeconds === cursor.lastSystemSeconds) return undefined;
  return {
    kind: "record-changed",
    index: cursor.lastIndex,
    expectedSystemSeconds: cursor.lastSystemSeconds,
    actualSystemSeconds: atCursor.systemSeconds,
  };
}
