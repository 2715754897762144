/**
 * The receiver serial number (receiver-protocol §3.4): the `SerialNumber` attribute of the
 * manufacturing record, "SM" and eight digits on every observed unit, upper or lower case. Other
 * generations are not proven to follow that form, so the one rule sharebridge applies — reading it,
 * keying state by it, posting it to Share (share-api §2), configuring the emulator — is the
 * looser one below: short, letters, digits and hyphens, nothing a path, a URL or a log line could
 * be confused by.
 */

/** 1 to 32 letters, digits or hyphens. */
export const RECEIVER_SERIAL_PATTERN = /^[A-Za-z0-9-]{1,32}$/;

/** Whether `value` is a usable receiver serial. */
export function isReceiverSerial(value: unknown): value is string {
  return typeof value === "string" && RECEIVER_SERIAL_PATTERN.test(value);
}
