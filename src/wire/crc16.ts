/**
 * CRC-16/XMODEM (spec receiver-protocol §2.3): polynomial 0x1021 MSB-first, initial value 0,
 * no reflection, no final XOR. Covers packets, page headers and records alike.
 *
 * Table-driven, one table built at module load; `crc16` reads a range of a byte array without
 * copying it, so callers pass the page or packet and the bounds.
 */

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let register = i << 8;
  for (let bit = 0; bit < 8; bit++) {
    register = register & 0x8000 ? ((register << 1) ^ 0x1021) & 0xffff : (register << 1) & 0xffff;
  }
  TABLE[i] = register;
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
