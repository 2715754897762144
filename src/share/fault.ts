/**
 * Share application faults: the error envelope (share-api §9.1) and what each `Code` means for the
 * client (share-api §9.3, §14.1). Clients branch on `Code` only; `Message` is kept, scrubbed of ids,
 * for the operator.
 *
 * Every fault becomes a `SharebridgeError` whose `context.fault` is the `FaultKind` below, so that
 * the recovery policy (client.ts) reads a closed set of kinds instead of matching strings.
 */
import { type ErrorContext, isSharebridgeError, SharebridgeError, type ShareErrorCode } from "../errors.js";
import { withoutControlCharacters } from "./text.js";

export type FaultKind =
  /** SessionIdNotFound, SessionNotValid: log in again once, retry once. */
  | "session"
  /** Wrong password, unknown account, wrong region: never log in again until the operator acts. */
  | "credentials"
  /** Too many failed logins: no login for at least 30 minutes. */
  | "lockout"
  | "monitoring-not-active"
  /** Harmless: Start while already active (share-api §5.3 item 8). */
  | "monitoring-already-active"
  /** The account has no monitored receiver (Start/Post). */
  | "receiver-not-assigned"
  /** The account monitors a different serial (Start/Post). */
  | "receiver-mismatch"
  /** Replace with a serial another account owns. */
  | "serial-owned-elsewhere"
  /** Replace with the serial the account already has: success (share-api §15 #7). */
  | "serial-already-yours"
  /** Post: some readings were already stored, the rest are stored now (share-api §6.5). */
  | "duplicate"
  /** Post: readings in the future were dropped, the rest are stored (share-api §6.5). */
  | "future"
  /** Delete of a contact that is already gone. */
  | "contact-gone"
  | "invalid-argument"
  | "other";

/** Both spellings of the lockout code must match (share-api §3.4, §15 #4). */
const LOCKOUT_CODES = new Set(["SSO_AuthenticateMaxAttemptsExceeed", "SSO_AuthenticateMaxAttemptsExceeded"]);

const KIND_BY_CODE: ReadonlyMap<string, FaultKind> = new Map<string, FaultKind>([
  ["SessionIdNotFound", "session"],
  ["SessionNotValid", "session"],
  ["AccountPasswordInvalid", "credentials"],
  ["SSO_AuthenticateAccountNotFound", "credentials"],
  ["SSO_AuthenticatePasswordInvalid", "credentials"],
  ["MonitoringSessionNotActive", "monitoring-not-active"],
  ["MonitoringSessionAlreadyActive", "monitoring-already-active"],
  ["MonitoredReceiverNotAssigned", "receiver-not-assigned"],
  ["MonitoredReceiverSerialNumberDoesNotMatch", "receiver-mismatch"],
  ["SerialNumberAssignedToSomeoneElse", "serial-owned-elsewhere"],
  ["SerialNumberAssignedToYou", "serial-already-yours"],
  ["DuplicateEgvPosted", "duplicate"],
  ["FutureEgvPosted", "future"],
  ["ContactAlreadyDeleted", "contact-gone"],
  ["ContactIdNotFound", "contact-gone"],
  ["InvalidArgument", "invalid-argument"],
]);

/** The Share code → kind table, applied to the envelope's `Code` (and `Message` for SSO_InternalError). */
export function classifyFault(code: string, message: string): FaultKind {
  if (LOCKOUT_CODES.has(code)) return "lockout";
  // "Cannot Authenticate by AccountName/AccountId" means bad credentials (share-api §9.3; pydexcom).
  if (code === "SSO_InternalError" && /cannot authenticate/i.test(message)) return "credentials";
  return KIND_BY_CODE.get(code) ?? "other";
}

const ERROR_CODE_BY_KIND: Readonly<Record<FaultKind, ShareErrorCode>> = {
  session: "SHARE_SESSION",
  credentials: "SHARE_CREDENTIALS",
  lockout: "SHARE_LOCKED_OUT",
  "monitoring-not-active": "SHARE_MONITORING_SESSION",
  "monitoring-already-active": "SHARE_MONITORING_SESSION",
  "receiver-not-assigned": "SHARE_ASSIGNMENT",
  "receiver-mismatch": "SHARE_ASSIGNMENT",
  "serial-owned-elsewhere": "SHARE_ASSIGNMENT",
  "serial-already-yours": "SHARE_ASSIGNMENT",
  duplicate: "SHARE_REJECTED",
  future: "SHARE_REJECTED",
  "contact-gone": "SHARE_REJECTED",
  "invalid-argument": "SHARE_REJECTED",
  other: "SHARE_REJECTED",
};

export interface FaultEnvelope {
  /** As the server sent it (bounded only by the response size): for classification, never for display. */
  readonly code: string;
  readonly message: string;
}

/** No Share code is this long; a longer one is garbage and is cut (after scrubbing) before it is shown. */
const MAX_CODE_LENGTH = 80;
const MAX_MESSAGE_LENGTH = 200;

/** The envelope if `value` is an object with a string `Code` (share-api §9.1); otherwise undefined. */
export function parseFaultEnvelope(value: unknown): FaultEnvelope | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const code = record["Code"];
  if (typeof code !== "string" || code === "") return undefined;
  const message = record["Message"];
  // Nothing is cut here: a cut before scrubbing could leave part of a secret behind (scrubServerText).
  return { code, message: typeof message === "string" ? message : "" };
}

/** A UUID, with or without its hyphens (a server may echo the session id in either form). */
const UUID_ANYWHERE = /[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/gi;

/**
 * Server text made safe for logs, error messages and the state file: ids removed (the server embeds
 * the session id, share-api §3.3), the given secrets removed, control characters dropped — and only
 * then cut to `maxLength`, so that no part of a secret straddling the cut survives.
 */
export function scrubServerText(
  text: string,
  secrets: readonly string[] = [],
  maxLength = MAX_MESSAGE_LENGTH,
): string {
  let out = text.replace(UUID_ANYWHERE, "<id>");
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join("<redacted>");
  }
  out = withoutControlCharacters(out, " ").trim();
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}

/** A fault code as shown (message, context, logs, state): scrubbed like a message, then capped. */
export function shownCode(code: string, secrets: readonly string[] = []): string {
  return scrubServerText(code, secrets, MAX_CODE_LENGTH);
}

/** The error raised for a fault answer to `operation`; `extra` adds context (e.g. `retryAfterMs`). */
export function faultError(
  operation: string,
  httpStatus: number,
  envelope: FaultEnvelope,
  secrets: readonly string[],
  extra: ErrorContext = {},
): SharebridgeError {
  const kind = classifyFault(envelope.code, envelope.message);
  const code = shownCode(envelope.code, secrets);
  const serverMessage = scrubServerText(envelope.message, secrets);
  return new SharebridgeError(ERROR_CODE_BY_KIND[kind], `Share answered ${code} to ${operation}`, {
    operation,
    httpStatus,
    shareCode: code,
    fault: kind,
    serverMessage,
    ...extra,
  });
}

/**
 * A 2xx answer carrying the error envelope (share-api §18.6): not an acknowledgement, and not the
 * fault either — nothing is known to have happened. SHARE_PROTOCOL; the envelope's kind is kept as
 * `envelopeFault` (not `fault`, so no recovery or success path ever acts on it).
 */
export function envelopeOnSuccessError(
  operation: string,
  httpStatus: number,
  envelope: FaultEnvelope,
  secrets: readonly string[],
): SharebridgeError {
  const code = shownCode(envelope.code, secrets);
  return new SharebridgeError(
    "SHARE_PROTOCOL",
    `Share answered HTTP ${httpStatus} carrying the fault ${code} to ${operation}; nothing is taken as done`,
    {
      operation,
      httpStatus,
      shareCode: code,
      envelopeFault: classifyFault(envelope.code, envelope.message),
      serverMessage: scrubServerText(envelope.message, secrets),
    },
  );
}

/** The fault kind carried by an error, if it is a Share fault. */
export function faultKindOf(error: unknown): FaultKind | undefined {
  if (!isSharebridgeError(error)) return undefined;
  const kind = error.context["fault"];
  return typeof kind === "string" ? (kind as FaultKind) : undefined;
}

/** Whether a failed request may be repeated after a pause: transport failures, 503, non-JSON 5xx. */
export function isTransientShareError(error: unknown): boolean {
  return isSharebridgeError(error, "SHARE_UNAVAILABLE");
}
