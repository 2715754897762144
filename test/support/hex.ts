/** Hex helpers for tests: spec tables write bytes as "01 06 00 0A 5E 65" (src/util/hex.ts). */
export { fromHex as hex, toHex } from "../../src/util/hex.js";

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, "latin1"));
}
