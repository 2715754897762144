/**
 * The one error type of sharebridge.
 *
 * Every failure that crosses a module boundary is a `SharebridgeError` with a stable string `code`
 * (match on the code, never on the message) and a `context` object naming what was wrong. Context
 * values must never hold secrets (password, session id): they end up in logs.
 *
 * The message is written once. `detail` is the text as its author wrote it; `message` is
 * `detail [CODE]`, the code appended by the constructor and only there. Code that re-raises an
 * error with more words (a file name in front) builds on `detail`, never by editing `message`.
 *
 * Codes are grouped by what the failure means for whoever handles it (wait for the receiver, back
 * off from Share, ask the operator…). The guards at the bottom derive from these lists, and every
 * code has an exit code (src/cli/exit-codes.ts; a test checks each against the README's table). A
 * new code goes into exactly one list; the compiler then asks for its exit code.
 */

/**
 * The receiver is absent, busy, or did not answer as the protocol says: wait for it, reopen the
 * port, retry. Raised by the transports and the link (src/receiver/, src/wire/).
 */
export const RECEIVER_ERROR_CODES = [
  /** No receiver with USB id 22a3:0047 was found, or the given path does not exist. */
  "DEVICE_NOT_FOUND",
  /** The device node exists but cannot be opened (permissions, busy, not a tty). */
  "DEVICE_OPEN_FAILED",
  /** The device went away (unplug, TCP peer closed) while in use. */
  "DEVICE_DISCONNECTED",
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

/**
 * What the receiver stored cannot be read as the spec describes (src/records/). Single bad records
 * are reported as problems and skipped; these codes escape only when a whole page or the identity
 * is unusable.
 */
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
  /** The receiver's XML documents (firmware header, manufacturing record) are not what spec §5.9 shows. */
  "XML_INVALID",
  "HISTORY_DISCONTINUITY",
] as const;

/** No trustworthy time (src/time/): never post readings stamped from an unsynchronised clock (DESIGN §5). */
export const CLOCK_ERROR_CODES = ["CLOCK_UNSYNCHRONISED"] as const;

/** Dexcom Share refused, failed or was unreachable (src/share/). */
export const SHARE_ERROR_CODES = [
  "SHARE_CREDENTIALS",
  "SHARE_LOCKED_OUT",
  "SHARE_SESSION",
  "SHARE_MONITORING_SESSION",
  "SHARE_ASSIGNMENT",
  "SHARE_REJECTED",
  "SHARE_UNAVAILABLE",
  "SHARE_PROTOCOL",
] as const;

/** The state directory or file cannot be used (the state store): the operator must look at the file. */
export const STATE_ERROR_CODES = [
  /** Writing the state file failed: a full or read-only disk (context.fix says what to do). */
  "STATE_WRITE_FAILED",
  /** The state file is not a state document; it was set aside and a safe default used. */
  "STATE_CORRUPT",
  /** The state directory or file may not be used: EACCES/EPERM, another owner, or writable by others. */
  "STATE_PERMISSION",
  /** The state file exists but reading it failed (EIO and the like); it is left where it is. */
  "STATE_READ_FAILED",
  /** Another sharebridge process holds the state directory's lock; context.pid names it. */
  "STATE_LOCKED",
] as const;

/**
 * Refused before anything was done: the command line, the configuration or an argument is wrong.
 * Raised where the value is parsed (src/config/, src/cli/, and the layer that owns the format).
 */
export const USAGE_ERROR_CODES = [
  "CONFIG_INVALID",
  "CONFIG_UNREADABLE",
  "USAGE",
  /** The `--device` value is not `auto`, a path, or `tcp://host:port` (src/receiver/device.ts). */
  "DEVICE_SPEC_INVALID",
  /** A receiver request was refused before sending: bad argument, or a command never to be sent. */
  "REQUEST_INVALID",
  /** share.server is not a usable URL (src/share/server-url.ts). */
  "SHARE_URL_INVALID",
  /** The Share client was handed something it must not send (bad reading, serial, name, count). */
  "SHARE_INPUT_INVALID",
] as const;

/** An alert could not be delivered to the configured webhook (src/observe/alerts/). */
export const ALERT_ERROR_CODES = [
  /** The webhook did not answer with a 2xx (context.status), or could not be reached (context.errno). */
  "ALERT_UNDELIVERED",
] as const;

/**
 * The MQTT broker (src/sinks/mqtt/) could not be reached or refused the login. Only `mqtt forget`
 * fails on it: the daemon logs it and keeps trying, and Share never waits for the broker.
 */
export const MQTT_ERROR_CODES = ["MQTT_UNAVAILABLE", "MQTT_REFUSED"] as const;

/** Interrupted, or a bug. */
export const APP_ERROR_CODES = ["ABORTED", "INTERNAL"] as const;

export type ReceiverErrorCode = (typeof RECEIVER_ERROR_CODES)[number];
export type RecordErrorCode = (typeof RECORD_ERROR_CODES)[number];
export type ClockErrorCode = (typeof CLOCK_ERROR_CODES)[number];
export type ShareErrorCode = (typeof SHARE_ERROR_CODES)[number];
export type StateErrorCode = (typeof STATE_ERROR_CODES)[number];
export type UsageErrorCode = (typeof USAGE_ERROR_CODES)[number];
export type AlertErrorCode = (typeof ALERT_ERROR_CODES)[number];
export type MqttErrorCode = (typeof MQTT_ERROR_CODES)[number];
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];
export type ErrorCode =
  | ReceiverErrorCode
  | RecordErrorCode
  | ClockErrorCode
  | ShareErrorCode
  | StateErrorCode
  | UsageErrorCode
  | AlertErrorCode
  | MqttErrorCode
  | AppErrorCode;

/** Every code, list by list (tests walk it: each code has a documented exit code). */
export const ERROR_CODE_LISTS = {
  receiver: RECEIVER_ERROR_CODES,
  record: RECORD_ERROR_CODES,
  clock: CLOCK_ERROR_CODES,
  share: SHARE_ERROR_CODES,
  state: STATE_ERROR_CODES,
  usage: USAGE_ERROR_CODES,
  alert: ALERT_ERROR_CODES,
  mqtt: MQTT_ERROR_CODES,
  app: APP_ERROR_CODES,
} as const;

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ERROR_CODE_LISTS).flat();

/** Descriptive context: free-form, never secret. */
export type ErrorContext = Readonly<Record<string, unknown>>;

/** A post that failed part-way: how many readings were acknowledged before, and how many wait. */
export interface PostProgress {
  /** Readings Share acknowledged before the failure. */
  readonly posted?: number;
  /** Readings still waiting to be posted. */
  readonly backlog?: number;
}

/** Share's answer, classified (src/share/fault.ts). */
export interface ShareFailureContext extends PostProgress {
  /** The `FaultKind` of share/fault.ts. */
  readonly fault?: string;
  /** Share's own code, e.g. `SSO_AuthenticatePasswordInvalid` (share-api §11). */
  readonly shareCode?: string;
  /** How long the server asked to wait (Retry-After), ms. */
  readonly retryAfterMs?: number;
}

/** Where a bad configuration value is, and how to fix it. */
export interface ConfigFailureContext {
  /** The key, e.g. `share.region`. */
  readonly key?: string;
  readonly fix?: string;
  /** The file it came from, when it came from one. */
  readonly file?: string;
}

/**
 * The context fields that drive policy, typed per code. Codes not named here carry descriptive
 * fields only. Add a field here when code outside the raising module acts on it.
 */
export interface PolicyContext {
  readonly RECEIVER_NAK: { readonly responseCode?: number };
  readonly LINK_FAILED: { readonly lastError?: ErrorCode | undefined };
  readonly SHARE_CREDENTIALS: ShareFailureContext;
  readonly SHARE_LOCKED_OUT: ShareFailureContext;
  readonly SHARE_SESSION: ShareFailureContext;
  readonly SHARE_MONITORING_SESSION: ShareFailureContext;
  readonly SHARE_ASSIGNMENT: ShareFailureContext;
  readonly SHARE_REJECTED: ShareFailureContext;
  readonly SHARE_UNAVAILABLE: ShareFailureContext;
  readonly SHARE_PROTOCOL: ShareFailureContext;
  readonly STATE_WRITE_FAILED: PostProgress;
  readonly CLOCK_UNSYNCHRONISED: PostProgress;
  readonly ABORTED: PostProgress;
  readonly CONFIG_INVALID: ConfigFailureContext;
  readonly CONFIG_UNREADABLE: ConfigFailureContext;
}

/** The context of an error with code `C`: its policy fields, typed, and free descriptive ones. */
export type ContextOf<C extends ErrorCode> = (C extends keyof PolicyContext ? PolicyContext[C] : unknown) &
  ErrorContext;

export class SharebridgeError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = "SharebridgeError";
  /** The message as written, without the code. */
  readonly detail: string;

  constructor(
    readonly code: C,
    message: string,
    readonly context: ContextOf<C> = {} as ContextOf<C>,
    options?: ErrorOptions,
  ) {
    const suffix = ` [${code}]`;
    // Appended once: a message that already carries its code keeps it as it is.
    const detail = message.endsWith(suffix) ? message.slice(0, -suffix.length) : message;
    super(`${detail}${suffix}`, options);
    this.detail = detail;
  }

  /**
   * The same failure (code, context, cause) told with more: `prefix` in front of the detail, and
   * `context` merged over this error's. For "config.json: share.region: …" or "posted 3, then …".
   */
  within(prefix: string, context: Partial<ContextOf<C>> = {}): SharebridgeError<C> {
    return new SharebridgeError(
      this.code,
      prefix === "" ? this.detail : `${prefix}: ${this.detail}`,
      { ...this.context, ...context } as ContextOf<C>,
      this.cause === undefined ? undefined : { cause: this.cause },
    );
  }
}

export function isSharebridgeError<C extends ErrorCode = ErrorCode>(
  error: unknown,
  code?: C,
): error is SharebridgeError<C> {
  return error instanceof SharebridgeError && (code === undefined || error.code === code);
}

function guard<C extends ErrorCode>(codes: readonly C[]): (error: unknown) => error is SharebridgeError<C> {
  const set: ReadonlySet<ErrorCode> = new Set(codes);
  return (error: unknown): error is SharebridgeError<C> =>
    error instanceof SharebridgeError && set.has(error.code);
}

/** The receiver, or what it stored, failed: wait for it, reopen the port, try again. */
export const isReceiverFailure = guard<ReceiverErrorCode | RecordErrorCode>([
  ...RECEIVER_ERROR_CODES,
  ...RECORD_ERROR_CODES,
]);
/** Decoding what the receiver stored failed (a page, a record, the identity). */
export const isRecordFailure = guard<RecordErrorCode>(RECORD_ERROR_CODES);
/** Share refused, failed or could not be reached. */
export const isShareFailure = guard<ShareErrorCode>(SHARE_ERROR_CODES);
/** No trustworthy clock. */
export const isClockFailure = guard<ClockErrorCode>(CLOCK_ERROR_CODES);
/** The state directory or file cannot be used. */
export const isStateFailure = guard<StateErrorCode>(STATE_ERROR_CODES);
/** The command line, the configuration or an argument is wrong. */
export const isUsageFailure = guard<UsageErrorCode>(USAGE_ERROR_CODES);
/** An alert could not be delivered. */
export const isAlertFailure = guard<AlertErrorCode>(ALERT_ERROR_CODES);
/** The MQTT broker could not be reached or refused the login. */
export const isMqttFailure = guard<MqttErrorCode>(MQTT_ERROR_CODES);

/** Shorthand for throwing in expression position: `x ?? fail("USAGE", "x is required")`. */
export function fail<C extends ErrorCode>(
  code: C,
  message: string,
  context?: ContextOf<C>,
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

/** What went wrong, in words, without the code: `detail` of a SharebridgeError, else the message. */
export function describeError(error: unknown): string {
  if (error instanceof SharebridgeError) return error.detail;
  return error instanceof Error ? error.message : String(error);
}
