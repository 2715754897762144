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
  /** The receiver was not found, could not be opened, or did not answer. */
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
  /** The daemon's loop stopped making progress; systemd restarts it (Restart=on-failure). */
  STALLED: 70,
  /** Interrupted by SIGINT/SIGTERM before finishing. */
  INTERRUPTED: 130,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: EXIT.USAGE_OR_CONFIG,
  CONFIG_INVALID: EXIT.USAGE_OR_CONFIG,
  CONFIG_UNREADABLE: EXIT.USAGE_OR_CONFIG,
  DEVICE_SPEC_INVALID: EXIT.USAGE_OR_CONFIG,
  REQUEST_INVALID: EXIT.USAGE_OR_CONFIG,
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
  SERIAL_NOT_FOUND: EXIT.RECEIVER,
  PARTITION_NOT_FOUND: EXIT.RECEIVER,
  SHARE_CREDENTIALS: EXIT.SHARE_CREDENTIALS,
  SHARE_LOCKED_OUT: EXIT.SHARE_CREDENTIALS,
  // The account cannot take this receiver's readings: the operator must act, as for credentials.
  SHARE_ASSIGNMENT: EXIT.SHARE_CREDENTIALS,
  SHARE_URL_INVALID: EXIT.USAGE_OR_CONFIG,
  SHARE_INPUT_INVALID: EXIT.USAGE_OR_CONFIG,
  SHARE_UNAVAILABLE: EXIT.SHARE_UNAVAILABLE,
  SHARE_SESSION: EXIT.SHARE_UNAVAILABLE,
  SHARE_MONITORING_SESSION: EXIT.SHARE_UNAVAILABLE,
  SHARE_PROTOCOL: EXIT.SHARE_UNAVAILABLE,
  SHARE_REJECTED: EXIT.SHARE_UNAVAILABLE,
  ABORTED: EXIT.INTERRUPTED,
  CLOCK_UNSYNCHRONISED: EXIT.CLOCK,
  PAGE_INDEX_MISMATCH: EXIT.RECEIVER,
  STATE_WRITE_FAILED: EXIT.INTERNAL,
};

export function exitCodeFor(error: unknown): number {
  if (isSharebridgeError(error)) return BY_CODE[error.code] ?? EXIT.INTERNAL;
  return EXIT.INTERNAL;
}
