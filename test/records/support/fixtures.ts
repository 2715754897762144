/** Reads the receiver page fixtures (test/fixtures/receiver/, provenance in its SOURCES.md). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../../fixtures/receiver/", import.meta.url));

export const FIXTURE_PAGES = [
  "ecc1-page-0.0.hex",
  "ecc1-page-3.469.hex",
  "ecc1-page-4.312.hex",
  "ecc1-page-5.252.hex",
  "ecc1-page-5.1432.hex",
] as const;

export type FixturePage = (typeof FIXTURE_PAGES)[number];

/** One fixture page as a fresh 528-byte array (tests may mutate it). */
export function fixturePage(name: FixturePage): Uint8Array {
  return hexBytes(readFileSync(DIR + name, "utf8"));
}

/** "01 06 00 0A" (any whitespace) → bytes. */
export function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${text.slice(0, 40)}`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}
