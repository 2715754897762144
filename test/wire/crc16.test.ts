import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  crc16,
  crc16Step,
  crcMultiply,
  crcOfStretch,
  hasTrailingCrc,
  stretchFactors,
  writeTrailingCrc,
} from "../../src/wire/crc16.js";
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

describe("CRC of a stretch from running CRCs", () => {
  test.prop([fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.nat()])(
    "equals the CRC computed over the stretch itself",
    (bytes, a, b) => {
      const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
      const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
      const factors = stretchFactors(bytes.length + 1);
      const running = (n: number) => crc16(bytes, 0, n);
      expect(crcOfStretch(running(start), running(end), factors[end - start] as number)).toBe(
        crc16(bytes, start, end),
      );
    },
  );

  it("steps byte by byte like crc16, and x^8 is one zero byte", () => {
    const body = hex("01 06 00 0A");
    let register = 0;
    for (const byte of body) register = crc16Step(register, byte);
    expect(register).toBe(0x655e);
    expect(stretchFactors(3)).toEqual(Uint16Array.of(1, 0x100, crc16Step(0x100, 0)));
    expect(crcMultiply(0x1234, 1)).toBe(0x1234);
  });
});

describe("crcMultiply", () => {
  /** Bit by bit, the definition: Horner over b's bits, reducing by P = x^16 + x^12 + x^5 + 1. */
  function reference(a: number, b: number): number {
    let product = 0;
    for (let bit = 15; bit >= 0; bit--) {
      product = product & 0x8000 ? ((product << 1) ^ 0x1021) & 0xffff : (product << 1) & 0xffff;
      if ((b >>> bit) & 1) product ^= a;
    }
    return product;
  }

  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })])(
    "equals the bitwise product mod P",
    (a, b) => {
      expect(crcMultiply(a, b)).toBe(reference(a, b));
      expect(crcMultiply(a, b)).toBe(crcMultiply(b, a));
    },
  );
});
