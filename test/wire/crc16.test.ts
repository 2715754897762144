import { describe, expect, it } from "vitest";
import { crc16, hasTrailingCrc, writeTrailingCrc } from "../../src/wire/crc16.js";
import { ascii, hex } from "../support/hex.js";

// Spec receiver-protocol §2.3, "CRC test vectors (all verified)".
describe("CRC-16/XMODEM", () => {
  it.each([
    ["00 01 02 03 04 05 06 07 08 09", 0x2378],
    ["FF FF FF FF", 0x99cf],
    ["01 07 00 10 04", 0xb88b],
    ["02 06 06 03", 0xc50d],
  ])("%s → %i", (bytes, expected) => {
    expect(crc16(hex(bytes))).toBe(expected);
  });

  it("ASCII check values", () => {
    expect(crc16(ascii("0123456789"))).toBe(0x9c58);
    expect(crc16(ascii("123456789"))).toBe(0x31c3);
  });

  it("follows the §2.3 register trace for the Ping body 01 06 00 0A", () => {
    const body = hex("01 06 00 0A");
    expect([1, 2, 3, 4].map((n) => crc16(body, 0, n))).toEqual([0x1021, 0x53f7, 0x9d96, 0x655e]);
  });

  it("reads a range without copying and checks or writes the trailing CRC", () => {
    const bytes = hex("AA 01 07 00 10 04 00 00 BB");
    expect(crc16(bytes, 1, 6)).toBe(0xb88b);
    expect(hasTrailingCrc(bytes, 1, 6)).toBe(false);
    writeTrailingCrc(bytes, 1, 6);
    expect(bytes[6]).toBe(0x8b);
    expect(bytes[7]).toBe(0xb8);
    expect(bytes[8]).toBe(0xbb);
    expect(hasTrailingCrc(bytes, 1, 6)).toBe(true);
    expect(hasTrailingCrc(bytes, 2, 7)).toBe(false);
    expect(hasTrailingCrc(bytes, 1, 8)).toBe(false);
  });

  it("is 0 for no bytes", () => {
    expect(crc16(new Uint8Array(0))).toBe(0);
  });
});
