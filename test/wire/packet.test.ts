import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { decodePacket, encodePacket, MAX_RESPONSE_LENGTH, MIN_PACKET_LENGTH } from "../../src/wire/packet.js";
import { PAGE_LENGTH } from "../../src/wire/page.js";
import { hex, toHex } from "../support/hex.js";

describe("packet encoding (spec §2.1, §2.2)", () => {
  it("encodes an empty packet as 6 bytes with a little-endian CRC", () => {
    expect(toHex(encodePacket(0x0a))).toBe("01 06 00 0A 5E 65");
    expect(toHex(encodePacket(0x01))).toBe("01 06 00 01 35 D4");
  });

  it("writes the length as a true u16 (a 2118-byte 4-page reply starts 01 46 08, §2.1)", () => {
    const packet = encodePacket(0x01, new Uint8Array(4 * PAGE_LENGTH));
    expect(packet.length).toBe(2118);
    expect(MAX_RESPONSE_LENGTH).toBe(2118);
    expect(toHex(packet.subarray(0, 4))).toBe("01 46 08 01");
  });

  it("decodes a packet into code and payload view", () => {
    const bytes = hex("01 0A 00 01 C9 C5 D7 08 A0 9E");
    const packet = decodePacket(bytes);
    expect(packet.code).toBe(1);
    expect(toHex(packet.payload)).toBe("C9 C5 D7 08");
    expect(packet.payload.buffer).toBe(bytes.buffer);
  });

  it.each([
    ["too short", "01 06 00", "PACKET_BAD_LENGTH"],
    ["no SOF", "02 06 00 01 35 D4", "PACKET_BAD_LENGTH"],
    ["length field disagrees", "01 07 00 01 35 D4", "PACKET_BAD_LENGTH"],
    ["CRC flipped", "01 06 00 01 35 D5", "PACKET_BAD_CRC"],
  ])("rejects %s", (_, bytes, code) => {
    try {
      decodePacket(hex(bytes));
      expect.unreachable();
    } catch (error) {
      expect(isSharebridgeError(error)).toBe(true);
      expect((error as { code: string }).code).toBe(code);
    }
  });

  it("has the spec's minimum", () => {
    expect(MIN_PACKET_LENGTH).toBe(6);
  });
});
