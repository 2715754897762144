/**
 * CRC-16/XMODEM (spec receiver-protocol §2.3): polynomial 0x1021 MSB-first, initial value 0,
 * no reflection, no final XOR. Covers packets, page headers and records alike.
 *
 * Table-driven, one table built at module load; `crc16` reads a range of a byte array without
 * copying it, so callers pass the page or packet and the bounds.
 *
 * With init 0 and no final XOR the CRC is linear: the register after message M is M(x)·x^16 mod P,
 * so CRC(A‖B) = CRC(A)·x^(8|B|) ⊕ CRC(B) (mod P). Given the running CRC at every position of a
 * stream, the CRC of any stretch of it therefore costs one multiplication (`crcOfStretch`), not a
 * pass over its bytes: what keeps the deframer's work per byte bounded (src/receiver/deframer.ts).
 */

const POLYNOMIAL = 0x1021;
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let register = i << 8;
  for (let bit = 0; bit < 8; bit++) {
    register = register & 0x8000 ? ((register << 1) ^ POLYNOMIAL) & 0xffff : (register << 1) & 0xffff;
  }
  TABLE[i] = register;
}

/** The register after one more byte: the step of `crc16`, for code that keeps a running CRC. */
export function crc16Step(register: number, byte: number): number {
  return ((register << 8) ^ (TABLE[((register >>> 8) ^ byte) & 0xff] as number)) & 0xffff;
}

/** CRC-16/XMODEM of `bytes[start, end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let register = 0;
  for (let i = start; i < end; i++) {
    // Both indexes are in range by construction (i < end <= length, table index < 256).
    register =
      ((register << 8) ^ (TABLE[((register >>> 8) ^ (bytes[i] as number)) & 0xff] as number)) & 0xffff;
  }
  return register;
}

/**
 * True when the two bytes at `bytes[end]`, `bytes[end + 1]` hold, little-endian, the CRC of
 * `bytes[start, end)` (the layout of packets, page headers and records, spec §2.1, §4.3, §4.4).
 */
export function hasTrailingCrc(bytes: Uint8Array, start: number, end: number): boolean {
  if (end + 2 > bytes.length) return false;
  const stored = (bytes[end] as number) | ((bytes[end + 1] as number) << 8);
  return stored === crc16(bytes, start, end);
}

/** Writes the CRC of `bytes[start, end)` little-endian at `bytes[end]`. */
export function writeTrailingCrc(bytes: Uint8Array, start: number, end: number): void {
  const crc = crc16(bytes, start, end);
  bytes[end] = crc & 0xff;
  bytes[end + 1] = crc >>> 8;
}

/**
 * Carry-less products of two bytes (15-bit results), built on first use: 128 KiB, one XOR per entry
 * (the product is linear in each factor). They make `crcMultiply` a handful of lookups, which the
 * deframer does once per candidate packet.
 */
let byteProducts: Uint16Array | undefined;

function carrylessByteProducts(): Uint16Array {
  const table = new Uint16Array(65536);
  for (let a = 1; a < 256; a++) {
    const low = a & -a;
    const row = a << 8;
    if (a === low) {
      const shift = 31 - Math.clz32(a);
      for (let b = 0; b < 256; b++) table[row | b] = b << shift;
    } else {
      const rest = (a ^ low) << 8;
      const single = low << 8;
      for (let b = 0; b < 256; b++)
        table[row | b] = (table[rest | b] as number) ^ (table[single | b] as number);
    }
  }
  return table;
}

/** x^24 · v mod P for a byte v: the reduction of a product's top byte. */
const TABLE_X24 = Uint16Array.from(TABLE, (v) => ((v << 8) ^ (TABLE[v >>> 8] as number)) & 0xffff);

/** a·b mod P over GF(2), for two 16-bit residues. */
export function crcMultiply(a: number, b: number): number {
  byteProducts ??= carrylessByteProducts();
  const p = byteProducts;
  const a1 = (a >>> 8) << 8;
  const a0 = (a & 0xff) << 8;
  const b1 = b >>> 8;
  const b0 = b & 0xff;
  // The 31-bit carry-less product, then its bits 16–30 folded back with x^16 and x^24 mod P.
  const product =
    ((p[a1 | b1] as number) << 16) ^
    (((p[a1 | b0] as number) ^ (p[a0 | b1] as number)) << 8) ^
    (p[a0 | b0] as number);
  const high = product >>> 16;
  return (product & 0xffff) ^ (TABLE[high & 0xff] as number) ^ (TABLE_X24[high >>> 8] as number);
}

/**
 * `factors[n]` = x^(8n) mod P for n = 0 … `count` − 1: what appending n bytes multiplies the
 * register of the bytes before them by. (Appending a zero byte is exactly a multiplication by x^8.)
 */
export function stretchFactors(count: number): Uint16Array {
  const factors = new Uint16Array(count);
  let factor = 1;
  for (let n = 0; n < count; n++) {
    factors[n] = factor;
    factor = crc16Step(factor, 0);
  }
  return factors;
}

/**
 * CRC of the `length` bytes between two positions of a stream, from the running CRCs (`crc16` of
 * everything before each position) and `factor` = `stretchFactors(…)[length]`.
 */
export function crcOfStretch(runningAtStart: number, runningAtEnd: number, factor: number): number {
  return runningAtEnd ^ crcMultiply(runningAtStart, factor);
}
