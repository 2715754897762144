/**
 * What a failed Share call means for the readings it carried (share-api §18.7): the sync engine
 * splits a batch only when the server refused it for its content, and backs off otherwise.
 *
 *   content    the readings themselves were refused (a non-transient fault caused by the body):
 *              posting the same readings again gets the same answer, so split the batch to find
 *              the culprit(s) and quarantine them; the others go through.
 *   account    the account or the session is the problem (credentials, lockout, assignment,
 *              monitoring session, session): no reading is at fault, splitting would only repeat it.
 *   transient  the server or the network (unreachable, 5xx without the envelope, 429/503, the
 *              request deadline, an answer that makes no sense): post the same batch again later.
 *
 * Which server answers count as "content" is an inference, since no peer handles the case: the
 * documented input fault `InvalidArgument`, a fault code the client does not know (no known code
 * names a transient server state), and HTTP 400/413/422 to a post (the server could not take the
 * body). An engine that finds every reading of a batch refused one by one should suspect the
 * account rather than quarantine them all.
 */
import { type ErrorContext, isSharebridgeError, SharebridgeError } from "../errors.js";
import type { FaultKind } from "./fault.js";

export type ShareFailureClass = "content" | "transient" | "account";

/** Fault kinds that say nothing about the readings: the account, its session or its receiver slot. */
const ACCOUNT_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  "session",
  "credentials",
  "lockout",
  "monitoring-not-active",
  "monitoring-already-active",
  "receiver-not-assigned",
  "receiver-mismatch",
  "serial-owned-elsewhere",
  "serial-already-yours",
]);

/** Fault kinds that, answered to a post, refuse the readings it carried. */
const CONTENT_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>(["invalid-argument", "other"]);

const ACCOUNT_CODES: ReadonlySet<string> = new Set([
  "SHARE_CREDENTIALS",
  "SHARE_LOCKED_OUT",
  "SHARE_SESSION",
  "SHARE_MONITORING_SESSION",
  "SHARE_ASSIGNMENT",
  "SHARE_URL_INVALID",
]);

/**
 * The class of a fault kind answered to a post (with HTTP 500, or with a 2xx as `envelopeFault`).
 * `duplicate`, `future` and `contact-gone` are not failures of a post; they class as transient here
 * only so that the function is total.
 */
export function classOfPostFault(kind: FaultKind): ShareFailureClass {
  if (ACCOUNT_KINDS.has(kind)) return "account";
  return CONTENT_KINDS.has(kind) ? "content" : "transient";
}

/**
 * Classifies any error a Share call threw. Errors of a post that refused the readings carry
 * `context.refusal: "content"` (set by the publisher); everything else is judged by its code.
 */
export function classifyShareFailure(error: unknown): ShareFailureClass {
  if (!isSharebridgeError(error)) return "transient";
  if (error.context["refusal"] === "content") return "content";
  return ACCOUNT_CODES.has(error.code) ? "account" : "transient";
}

/** The same error (code, message, context) marked as a content refusal, keeping the original as cause. */
export function asContentRefusal(error: SharebridgeError, extra: ErrorContext = {}): SharebridgeError {
  const message = error.message.endsWith(` [${error.code}]`)
    ? error.message.slice(0, -(error.code.length + 3))
    : error.message;
  return new SharebridgeError(
    error.code,
    message,
    { ...error.context, ...extra, refusal: "content" },
    { cause: error },
  );
}
