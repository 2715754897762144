/**
 * The one error type of sharebridge.
 *
 * Every failure that crosses a module boundary is a `SharebridgeError` with a stable string `code`
 * (match on the code, never on the message) and a `context` object naming what was wrong. Context
 * values must never hold secrets (password, session id): they end up in logs.
 *
 * Codes are grouped by the layer that raises them. Policy ("is this worth a retry?") lives in the
 * guards at the bottom of this file and in each layer's own guards, not in string matching.
 */

/** Codes raised by the receiver link: transports, framing, commands (src/receiver/). */
export const RECEIVER_ERROR_CODES = [
  /** No receiver with USB id 22a3:0047 was found, or the given path does not exist. */
  "DEVICE_NOT_FOUND",
  /** The device node exists but cannot be opened (permissions, busy, not a tty). */
  "DEVICE_OPEN_FAILED",
  /** The device went away (unplug, TCP peer closed) while in use. */
  "DEVICE_DISCONNECTED",
  /** The `--device` value is not `auto`, a path, or `tcp://host:port`. */
  "DEVICE_SPEC_INVALID",
  /** No complete response arrived within the per-command timeout. */
  "RESPONSE_TIMEOUT",
  /** A packet's CRC did not match its bytes (spec §2.3). */
  "PACKET_BAD_CRC",
  /** A packet's length field is outside the accepted bounds (spec §2.1, §2.6). */
  "PACKET_BAD_LENGTH",
  /** The receiver answered with a response code other than ACK (spec §2.5); context.responseCode names it. */
  "RECEIVER_NAK",
  /** An ACK payload does not have the shape the command defines (spec §3.1). */
  "RESPONSE_MALFORMED",
  /** A request was refused before sending: bad argument, or a command the driver must never send. */
  "REQUEST_INVALID",
  /** The link is closed or closing; no further request can be made on it. */
  "LINK_CLOSED",
  /** Retries and one port reopen were exhausted; context.lastError carries the final cause's code. */
  "LINK_FAILED",
  /**
   * The receiver's manufacturing record (partition 0) is missing, unreadable or holds no usable
   * SerialNumber (spec §3.4, §10 #3): the receiver cannot be told apart from another one.
   */
  "SERIAL_NOT_FOUND",
  /**
   * The receiver refuses a partition that its PartitionInfo does not list (e.g. BACKFILLED_EGV_DATA
   * on a receiver without a touchscreen, spec §4.2): the receiver has no such partition.
   */
  "PARTITION_NOT_FOUND",
] as const;

/** Codes raised while decoding pages and records (src/records/, src/time/). */
export const RECORD_ERROR_CODES = [
  "PAGE_TRUNCATED",
  "PAGE_BAD_CRC",
  "PAGE_HEADER_INVALID",
  "RECORD_BAD_CRC",
  "RECORD_TRUNCATED",
  "RECORD_UNSUPPORTED_REVISION",
  /**
   * A page whose header and record CRCs hold breaks FirstRecordIndex = PageNumber × records per
   * page (spec §4.5). Reported as a problem, never thrown: its records are used as the header
   * numbers them (spec §10 #2).
   */
  "PAGE_INDEX_MISMATCH",
  "XML_INVALID",
  "CLOCK_UNSYNCHRONISED",
  "HISTORY_DISCONTINUITY",
] as const;

/** Codes raised by the Share client (src/share/). */
export const SHARE_ERROR_CODES = [
  "SHARE_CREDENTIALS",
  "SHARE_LOCKED_OUT",
  "SHARE_SESSION",
  "SHARE_MONITORING_SESSION",
  "SHARE_ASSIGNMENT",
  "SHARE_REJECTED",
  "SHARE_UNAVAILABLE",
  "SHARE_PROTOCOL",
  "SHARE_URL_INVALID",
  /** The caller handed the client something it must not send (bad reading, serial, name, count). */
  "SHARE_INPUT_INVALID",
] as const;

/** Codes raised by configuration, state and the sync engine (src/config/, src/sync/, src/cli/). */
export const APP_ERROR_CODES = [
  "CONFIG_INVALID",
  "CONFIG_UNREADABLE",
  "STATE_WRITE_FAILED",
  "STATE_CORRUPT",
  "USAGE",
  "ABORTED",
  "INTERNAL",
] as const;

export type ReceiverErrorCode = (typeof RECEIVER_ERROR_CODES)[number];
export type RecordErrorCode = (typeof RECORD_ERROR_CODES)[number];
export type ShareErrorCode = (typeof SHARE_ERROR_CODES)[number];
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];
export type ErrorCode = ReceiverErrorCode | RecordErrorCode | ShareErrorCode | AppErrorCode;

export type ErrorContext = Readonly<Record<string, unknown>>;

export class SharebridgeError extends Error {
  override readonly name = "SharebridgeError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: ErrorContext = {},
    options?: ErrorOptions,
  ) {
    super(`${message} [${code}]`, options);
  }
}

export function isSharebridgeError(error: unknown, code?: ErrorCode): error is SharebridgeError {
  return error instanceof SharebridgeError && (code === undefined || error.code === code);
}

/** Shorthand for throwing in expression position: `x ?? fail("USAGE", "x is required")`. */
export function fail(
  code: ErrorCode,
  message: string,
  context?: ErrorContext,
  options?: ErrorOptions,
): never {
  throw new SharebridgeError(code, message, context, options);
}

/** Wraps anything thrown into a SharebridgeError, keeping it as `cause`. */
export function asSharebridgeError(error: unknown, fallback: ErrorCode = "INTERNAL"): SharebridgeError {
  if (error instanceof SharebridgeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SharebridgeError(fallback, message, {}, { cause: error });
}
