/**
 * The cursor of a partition — the last global record index already handled (spec receiver-protocol
 * §4.5, §4.9) — and what the receiver's current state says about it: whether the history the
 * cursor points into still continues (`Discontinuity`).
 */
import { SharebridgeError } from "../errors.js";
import type { DecodedPage } from "./page.js";

export interface RecordCursor {
  /** Highest global index already handled. */
  readonly lastIndex: number;
  /**
   * SystemTime of the record at `lastIndex`, when known: if that record now has another time, the
   * database was erased and refilled past the cursor (indexes alone cannot show that).
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
      readonly kind: "erased";
      readonly cursorIndex: number;
      /** Newest index the partition now holds (null when it is empty or unknown). */
      readonly newestIndex: number | null;
      readonly reason: string;
    }
  | { readonly kind: "receiver-changed"; readonly expectedSerial: string; readonly actualSerial: string };

/** Refuses a cursor that is not an index (state files are read tolerantly, but not guessed). */
export function checkCursor(cursor: RecordCursor): void {
  if (!Number.isSafeInteger(cursor.lastIndex) || cursor.lastIndex < -1) {
    throw new SharebridgeError("HISTORY_DISCONTINUITY", "cursor index must be an integer ≥ −1", {
      lastIndex: cursor.lastIndex,
    });
  }
}

/** Why the decoded pages no longer continue the cursor's history, if they do not. */
export function erasedReason(
  cursor: RecordCursor,
  pages: readonly (DecodedPage | undefined)[],
  newestIndex: number | null,
): string | undefined {
  if (newestIndex !== null && newestIndex < cursor.lastIndex) {
    return `newest index ${newestIndex} is below the cursor ${cursor.lastIndex}`;
  }
  if (cursor.lastSystemSeconds === undefined) return undefined;
  for (const page of pages) {
    const atCursor = page?.records.find((r) => r.index === cursor.lastIndex);
    if (atCursor !== undefined && atCursor.systemSeconds !== cursor.lastSystemSeconds) {
      return `record ${cursor.lastIndex} was written at ${atCursor.systemSeconds}, the cursor says ${cursor.lastSystemSeconds}`;
    }
  }
  return undefined;
}
