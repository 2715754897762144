/**
 * What one post of a batch did (share-api §6.5, §18.5–18.7), as a value the sync engine branches on.
 *
 * Acknowledgement is narrow on purpose: only an empty 200 (or JSON null / whitespace) stores a
 * batch (§18.6), `DuplicateEgvPosted` stores it too (the rest were stored before), and
 * `FutureEgvPosted` acknowledges only the readings the server did not call future (§18.5). Readings
 * the server refused for their content come back as `refused`; anything about the account, the
 * session or the network is thrown instead (failure-class.ts tells which is which).
 *
 * Also here: the checks that turn a batch into a refusal before or after sending it.
 */
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import { assertEgv, type EgvBatch, MAX_BATCH_SIZE, type ShareEgv } from "./egv.js";
import { asContentRefusal, classOfPostFault } from "./failure-class.js";
import type { FaultKind } from "./fault.js";

/** HTTP statuses (without the envelope) that say the server could not take a post's body. */
const BODY_REFUSED_STATUSES: ReadonlySet<unknown> = new Set([400, 413, 422]);

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

/** A batch must be 1..50 readings sharing the batch's TA (egv.ts planBatches makes them so). */
export function assertBatchShape(batch: EgvBatch): void {
  const n = batch.readings.length;
  if (n < 1 || n > MAX_BATCH_SIZE || batch.readings.some((r) => r.taSeconds !== batch.taSeconds)) {
    throw new SharebridgeError(
      "SHARE_INPUT_INVALID",
      `a batch is 1 to ${MAX_BATCH_SIZE} readings with the batch's TA`,
      { field: "batch", count: n },
    );
  }
}

/** Readings the client must not send (egv.ts assertEgv), each with its reason as a content refusal. */
export function invalidReadings(readings: readonly ShareEgv[]): { egv: ShareEgv; error: SharebridgeError }[] {
  const invalid: { egv: ShareEgv; error: SharebridgeError }[] = [];
  for (const [index, egv] of readings.entries()) {
    try {
      assertEgv(egv, index);
    } catch (error) {
      if (!isSharebridgeError(error)) throw error;
      invalid.push({ egv, error: asContentRefusal(error, { by: "client" }) });
    }
  }
  return invalid;
}

/**
 * The error as a content refusal when a post's failure refuses the readings themselves
 * (failure-class.ts), else undefined.
 */
export function contentRefusal(error: unknown): SharebridgeError | undefined {
  if (!isSharebridgeError(error)) return undefined;
  const { context } = error;
  const kind = (context["fault"] ?? context["envelopeFault"]) as FaultKind | undefined;
  const byFault = kind !== undefined && classOfPostFault(kind) === "content";
  const byStatus =
    error.code === "SHARE_REJECTED" && kind === undefined && BODY_REFUSED_STATUSES.has(context["httpStatus"]);
  return byFault || byStatus ? asContentRefusal(error, { by: "server" }) : undefined;
}
