/**
 * Response codes: the byte at offset 3 of every reply (spec receiver-protocol §2.5). Ids 0–7 are
 * shared by all peers; only ACK has been observed from a real receiver, the rest are named by peers.
 */

export const RESPONSE_CODE = {
  NULL: 0,
  /** Success; the payload carries the result. */
  ACK: 1,
  /** Generic rejection. */
  NAK: 2,
  /** Unknown or unsupported command id. */
  INVALID_COMMAND: 3,
  /** Parameter out of range or malformed. */
  INVALID_PARAM: 4,
  /** The request was truncated. */
  INCOMPLETE_PACKET_RECEIVED: 5,
  /** Internal failure. */
  RECEIVER_ERROR: 6,
  /** Command not allowed in the current mode. */
  INVALID_MODE: 7,
} as const;

export type ResponseCodeName = keyof typeof RESPONSE_CODE;

/** The success code. */
export const ACK = RESPONSE_CODE.ACK;

const NAMES: readonly string[] = Object.keys(RESPONSE_CODE);

/** The §2.5 name of a response code, or `UNKNOWN_<n>` for a byte no peer names. */
export function responseCodeName(code: number): string {
  return NAMES[code] ?? `UNKNOWN_${code}`;
}
