// Deframer throughput (DESIGN.md §3, §10): a stream of 2118-byte four-page replies, fed whole
// (one USB transfer per reply, as real receivers send them) and in 64-byte pieces (the USB
// packet size, the worst realistic split), next to plain CRC-16 over the same bytes and
// serialport's ByteLengthParser framing the same stream (fixed length, no CRC, no resync).
import { ByteLengthParser } from "@serialport/parser-byte-length";
import { Deframer } from "../dist/receiver/deframer.js";
import { crc16 } from "../dist/wire/crc16.js";
import { encodePacket, MAX_RESPONSE_LENGTH } from "../dist/wire/packet.js";
import { mbPerSecond, measure } from "./timing.mjs";

const REPLIES = 64;

function stream() {
  const parts = [];
  let seed = 1;
  for (let i = 0; i < REPLIES; i++) {
    const payload = new Uint8Array(2112);
    for (let j = 0; j < payload.length; j++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      payload[j] = seed >>> 24;
    }
    parts.push(encodePacket(1, payload));
  }
  return Buffer.concat(parts);
}

function pieces(bytes, size) {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export async function run(print) {
  const bytes = stream();
  const whole = pieces(bytes, 2118);
  const small = pieces(bytes, 64);
  let packets = 0;
  const deframer = new Deframer(MAX_RESPONSE_LENGTH, (event) => {
    if (event.kind === "packet") packets++;
  });

  const feed = (chunks) => () => {
    for (const chunk of chunks) deframer.push(chunk);
  };
  const crcOnly = () => {
    for (const chunk of whole) crc16(chunk, 0, chunk.length - 2);
  };
  const parser = new ByteLengthParser({ length: 2118 });
  parser.on("data", () => packets++);
  const byteLength = (chunks) => () => {
    for (const chunk of chunks) parser.write(chunk);
  };

  const crcMs = measure(crcOnly);
  const wholeMs = measure(feed(whole));
  const smallMs = measure(feed(small));
  const parserWholeMs = measure(byteLength(whole));
  const parserSmallMs = measure(byteLength(small));
  if (packets === 0) throw new Error("nothing was framed");

  const mb = (ms) => mbPerSecond(bytes.length, ms).toFixed(1);
  print(`stream: ${REPLIES} replies × 2118 bytes = ${bytes.length} bytes`);
  print(`plain CRC-16 over the same bytes:        ${mb(crcMs)} MB/s`);
  print(
    `deframer, whole replies (with CRC):      ${mb(wholeMs)} MB/s  (${(crcMs / wholeMs).toFixed(2)} × CRC speed)`,
  );
  print(
    `deframer, 64-byte pieces (with CRC):     ${mb(smallMs)} MB/s  (${(crcMs / smallMs).toFixed(2)} × CRC speed)`,
  );
  print(
    `ByteLengthParser, whole replies (no CRC): ${mb(parserWholeMs)} MB/s  (deframer / parser speed: ${(parserWholeMs / wholeMs).toFixed(2)})`,
  );
  print(
    `ByteLengthParser, 64-byte pieces:        ${mb(parserSmallMs)} MB/s  (deframer / parser speed: ${(parserSmallMs / smallMs).toFixed(2)})`,
  );
}
