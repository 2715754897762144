/**
 * Process exit codes, documented in the README. Stable: scripts and systemd rely on them.
 */
import { type ErrorCode, isSharebridgeError } from "../errors.js";

export const EXIT = {
  OK: 0,
  /** An unexpected failure (a bug): report it. */
  INTERNAL: 1,
  /** Wrong command line or invalid configuration. */
  USAGE_OR_CONFIG: 2,
  /** The receiver was not found, could not be opened, did not answer, or sent what cannot be read. */
  RECEIVER: 3,
  /** Share refused the credentials, or logins are locked out. */
  SHARE_CREDENTIALS: 4,
  /** Share could not be reached or answered with a server error. */
  SHARE_UNAVAILABLE: 5,
  /** Some readings were posted, others were not (the next run catches up). */
  PARTIAL: 6,
  /** No trustworthy clock: the host is not NTP-synchronised and Share's time was not available. */
  CLOCK: 7,
  /** `doctor`: at least one check failed (the output says which, and how to fix it). */
  CHECKS_FAILED: 8,
  /** The state directory or file cannot be used: permissions, owner, mode, a full or read-only disk. */
  STATE: 9,
  /** Another sharebridge process (the daemon, named by its PID) holds the state directory. */
  LOCKED: 10,
  /** `alerts test`: the webhook did not take the message. */
  ALERT_UNDELIVERED: 11,
  /** `mqtt forget`: the MQTT broker could not be reached or refused the login. */
  MQTT: 12,
  /** The daemon's loop stopped making progress; systemd restarts it (Restart=on-failure). */
  STALLED: 70,
  /** Interrupted by SIGINT/SIGTERM before finishing. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Every code's exit code. A `Record` over all codes, so a new code in src/errors.ts does not compile
 * until it has one; test/cli/exit-codes.test.ts checks that each appears in the README's table.
 */
export const EXIT_CODE_BY_ERROR: Readonly<Record<ErrorCode, ExitCode>> = {
  // The receiver, or what it stored.
  DEVICE_NOT_FOUND: EXIT.RECEIVER,
  DEVICE_OPEN_FAILED: EXIT.RECEIVER,
  DEVICE_DISCONNECTED: EXIT.RECEIVER,
  RESPONSE_TIMEOUT: EXIT.RECEIVER,
  PACKET_BAD_CRC: EXIT.RECEIVER,
  PACKET_BAD_LENGTH: EXIT.RECEIVER,
  RECEIVER_NAK: EXIT.RECEIVER,
  RESPONSE_MALFORMED: EXIT.RECEIVER,
  LINK_CLOSED: EXIT.RECEIVER,
  LINK_FAILED: EXIT.RECEIVER,
  PAGE_TRUNCATED: EXIT.RECEIVER,
  PAGE_BAD_CRC: EXIT.RECEIVER,
  PAGE_HEADER_INVALID: EXIT.RECEIVER,
  RECORD_BAD_CRC: EXIT.RECEIVER,
  RECORD_TRUNCATED: EXIT.RECEIVER,
  RECORD_UNSUPPORTED_REVISION: EXIT.RECEIVER,
  XML_INVALID: EXIT.RECEIVER,
  HISTORY_DISCONTINUITY: EXIT.RECEIVER,
  CLOCK_UNSYNCHRONISED: EXIT.CLOCK,
  SERIAL_NOT_FOUND: EXIT.RECEIVER,
  PARTITION_NOT_FOUND: EXIT.RECEIVER,
  SHARE_CREDENTIALS: EXIT.SHARE_CREDENTIALS,
  SHARE_LOCKED_OUT: EXIT.SHARE_CREDENTIALS,
  // The account cannot take this receiver's readings: the operator must act, as for credentials.
  SHARE_ASSIGNMENT: EXIT.SHARE_CREDENTIALS,
  SHARE_UNAVAILABLE: EXIT.SHARE_UNAVAILABLE,
  SHARE_SESSION: EXIT.SHARE_UNAVAILABLE,
  SHARE_MONITORING_SESSION: EXIT.SHARE_UNAVAILABLE,
  SHARE_PROTOCOL: EXIT.SHARE_UNAVAILABLE,
  SHARE_REJECTED: EXIT.SHARE_UNAVAILABLE,
  STATE_WRITE_FAILED: EXIT.STATE,
  STATE_CORRUPT: EXIT.STATE,
  CONFIG_INVALID: EXIT.USAGE_OR_CONFIG,
  CONFIG_UNREADABLE: EXIT.USAGE_OR_CONFIG,
  USAGE: EXIT.USAGE_OR_CONFIG,
  DEVICE_SPEC_INVALID: EXIT.USAGE_OR_CONFIG,
  REQUEST_INVALID: EXIT.USAGE_OR_CONFIG,
  SHARE_URL_INVALID: EXIT.USAGE_OR_CONFIG,
  SHARE_INPUT_INVALID: EXIT.USAGE_OR_CONFIG,
  ABORTED: EXIT.INTERRUPTED,
  INTERNAL: EXIT.INTERNAL,
  STATE_READ_FAILED: EXIT.STATE,
  STATE_PERMISSION: EXIT.STATE,
  STATE_LOCKED: EXIT.LOCKED,
  PAGE_INDEX_MISMATCH: EXIT.RECEIVER,
  ALERT_UNDELIVERED: EXIT.ALERT_UNDELIVERED,
  MQTT_UNAVAILABLE: EXIT.MQTT,
  MQTT_REFUSED: EXIT.MQTT,
};

export function exitCodeFor(error: unknown): ExitCode {
  if (isSharebridgeError(error)) return EXIT_CODE_BY_ERROR[error.code];
  return EXIT.INTERNAL;
}
