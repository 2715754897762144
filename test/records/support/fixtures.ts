/** Reads the receiver page fixtures (test/fixtures/receiver/, provenance in its SOURCES.md). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromHex } from "../../../src/util/hex.js";

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
  return fromHex(readFileSync(DIR + name, "utf8"));
}
