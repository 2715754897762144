/**
 * Bytes as hex text in the spec's notation (receiver-protocol §0.1): upper-case pairs separated by
 * single spaces, "01 06 00 0A 5E 65". The one formatter and parser for problem reports, `receiver
 * dump`, trace logs, the emulator and the tests.
 */
import { SharebridgeError } from "../errors.js";

const PAIRS: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).toUpperCase().padStart(2, "0"),
);

/** `bytes` as "01 06 00 0A"; `separator` goes between pairs (default one space, "" for none). */
export function toHex(bytes: Uint8Array, separator = " "): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = PAIRS[bytes[i] as number] as string;
  return parts.join(separator);
}

/**
 * Hex text → bytes; whitespace anywhere is ignored, either case is accepted. Throws USAGE for an
 * odd number of digits or a character that is not a hex digit.
 */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new SharebridgeError("USAGE", "not hex: expected pairs of 0-9 / A-F", {
      length: clean.length,
      near: text.slice(0, 40),
    });
  }
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
