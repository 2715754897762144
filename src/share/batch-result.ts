/**
 * What one post of a batch did (share-api §6.5, §18.5–18.7), as a value the sync engine branches on.
 *
 * Acknowledgement is narrow on purpose: only an empty 200 (or JSON null / whitespace) stores a
 * batch (§18.6), `DuplicateEgvPosted` stores it too (the rest were stored before), and
 * `FutureEgvPosted` acknowledges only the readings the server did not call future (§18.5). Readings
 * the server refused for their content come back as `refused`; anything about the account, the
 * session or the network is thrown instead (failure-class.ts tells which is which).
 */
import type { SharebridgeError } from "../errors.js";
import type { EgvBatch, ShareEgv } from "./egv.js";

export type BatchResult =
  /** Empty 200: every reading is stored. */
  | { readonly kind: "stored"; readonly batch: EgvBatch }
  /** DuplicateEgvPosted: every reading is stored (some were before). */
  | { readonly kind: "duplicate"; readonly batch: EgvBatch }
  /** FutureEgvPosted: `stored` are acknowledged; `future` are not, and must be posted again later. */
  | {
      readonly kind: "future";
      readonly batch: EgvBatch;
      /** Oldest first; acknowledged. Empty when the server did not say how many were future. */
      readonly stored: readonly ShareEgv[];
      /** Oldest first; NOT acknowledged. */
      readonly future: readonly ShareEgv[];
      /**
       * Whether the server's message said how many readings were future. When it did, the future
       * ones are the newest by true time (ST + TA); when not, none of the batch counts as stored.
       */
      readonly countKnown: boolean;
      /** The server's message, scrubbed. */
      readonly serverMessage: string;
    }
  /**
   * Refused for its content (classifyShareFailure(error) === "content"); nothing is stored.
   * `culprits` are the exact readings at fault when the client itself refused them before sending
   * (they break the posting rules); otherwise undefined, and the engine splits the batch to find them.
   */
  | {
      readonly kind: "refused";
      readonly batch: EgvBatch;
      readonly culprits: readonly ShareEgv[] | undefined;
      readonly error: SharebridgeError;
    };

/** Only a count that the message states next to "EGV" (the code's own word) is trusted. */
const FUTURE_COUNT = /(\d{1,6})\s+EGV/i;

/**
 * The split of a batch answered `FutureEgvPosted`: the server dropped the future readings and stored
 * the rest (share-api §6.5); which ones is not in the answer, but future readings are by definition
 * the newest by true time. Without a usable count nothing is taken as stored.
 */
export function futureSplit(
  batch: EgvBatch,
  serverMessage: string,
): Extract<BatchResult, { kind: "future" }> {
  const byTrueTime = [...batch.readings].sort((a, b) => a.stSeconds - b.stSeconds);
  const match = FUTURE_COUNT.exec(serverMessage);
  const count = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isInteger(count) || count < 1 || count > byTrueTime.length) {
    return { kind: "future", batch, stored: [], future: byTrueTime, countKnown: false, serverMessage };
  }
  const cut = byTrueTime.length - count;
  return {
    kind: "future",
    batch,
    stored: byTrueTime.slice(0, cut),
    future: byTrueTime.slice(cut),
    countKnown: true,
    serverMessage,
  };
}
