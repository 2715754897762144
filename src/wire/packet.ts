/**
 * Packet layout (spec receiver-protocol §2.1), the same in both directions:
 *
 *   offset 0        1..2            3                  4 .. length-3    length-2 .. length-1
 *          SOF=01   u16 LE length   command / response  payload          CRC-16 LE of bytes 0..length-3
 *
 * `length` counts the whole packet, so an empty packet is 6 bytes (§2.2). This module encodes a
 * packet and parses exactly one complete packet; finding packets in a byte stream is the deframer's
 * job (src/receiver/deframer.ts), which uses the field readers below.
 */
import { SharebridgeError } from "../errors.js";
import { crc16, writeTrailingCrc } from "./crc16.js";
import { PAGE_LENGTH } from "./page.js";

export const SOF = 0x01;
/** SOF + length + command byte. */
export const PACKET_HEADER_LENGTH = 4;
export const PACKET_CRC_LENGTH = 2;
export const MIN_PACKET_LENGTH = PACKET_HEADER_LENGTH + PACKET_CRC_LENGTH;
/** Pages per ReadDatabasePages the driver asks for (spec §4.7: what the vendor software does). */
export const MAX_PAGES_PER_REQUEST = 4;
/**
 * Largest response the driver accepts: a 4-page read, 6 + 4 × 528 = 2118 bytes (spec §1.6). The
 * 1590-byte "maximum packet" of several peers is only a host convention (spec §9.1).
 */
export const MAX_RESPONSE_LENGTH = MIN_PACKET_LENGTH + MAX_PAGES_PER_REQUEST * PAGE_LENGTH;
/** Requests are 6–12 bytes in all known usage (spec §1.6); anything longer is refused by the emulator. */
export const MAX_REQUEST_LENGTH = 64;
/** The largest length the u16 field can state. */
export const MAX_PACKET_LENGTH = 0xffff;

/** A decoded packet: the command (request) or response code, and a view of the payload. */
export interface Packet {
  readonly code: number;
  readonly payload: Uint8Array;
}

/** Encodes one packet: SOF, u16 LE length, code, payload, CRC-16 LE. */
export function encodePacket(code: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const length = MIN_PACKET_LENGTH + payload.length;
  if (length > MAX_PACKET_LENGTH) {
    throw new SharebridgeError("REQUEST_INVALID", "packet payload too large", {
      payloadLength: payload.length,
    });
  }
  const bytes = new Uint8Array(length);
  bytes[0] = SOF;
  bytes[1] = length & 0xff;
  bytes[2] = length >>> 8;
  bytes[3] = code & 0xff;
  bytes.set(payload, PACKET_HEADER_LENGTH);
  writeTrailingCrc(bytes, 0, length - PACKET_CRC_LENGTH);
  return bytes;
}

/** The u16 LE length field of a packet starting at `bytes[start]` (needs 3 bytes). */
export function lengthField(bytes: Uint8Array, start = 0): number {
  return (bytes[start + 1] as number) | ((bytes[start + 2] as number) << 8);
}

/** The CRC stored little-endian in the last two bytes of the `length`-byte packet at `bytes[start]`. */
export function storedCrc(bytes: Uint8Array, start: number, length: number): number {
  return (bytes[start + length - 2] as number) | ((bytes[start + length - 1] as number) << 8);
}

/** Code and payload view of the `length`-byte packet at `bytes[start]`, whose framing is already checked. */
export function packetAt(bytes: Uint8Array, start: number, length: number): Packet {
  return {
    code: bytes[start + 3] as number,
    payload: bytes.subarray(start + PACKET_HEADER_LENGTH, start + length - PACKET_CRC_LENGTH),
  };
}

/**
 * Decodes exactly one complete packet. Throws PACKET_BAD_LENGTH or PACKET_BAD_CRC; the payload is a
 * view into `bytes`.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < MIN_PACKET_LENGTH || bytes[0] !== SOF) {
    throw new SharebridgeError("PACKET_BAD_LENGTH", "not a packet", {
      length: bytes.length,
      first: bytes[0],
    });
  }
  const length = lengthField(bytes);
  if (length !== bytes.length) {
    throw new SharebridgeError("PACKET_BAD_LENGTH", "length field does not match the packet", {
      lengthField: length,
      actual: bytes.length,
    });
  }
  const stored = storedCrc(bytes, 0, length);
  const computed = crc16(bytes, 0, length - PACKET_CRC_LENGTH);
  if (stored !== computed) {
    throw new SharebridgeError("PACKET_BAD_CRC", "packet CRC mismatch", { stored, computed });
  }
  return packetAt(bytes, 0, length);
}
