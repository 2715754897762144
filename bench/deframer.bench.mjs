// Deframer throughput (DESIGN.md §3, §10): a stream of 2118-byte four-page replies, fed whole
// (one USB transfer per reply, as real receivers send them) and in 64-byte pieces (the USB
// packet size, the worst realistic split); a flood of false starts announcing the longest reply
// (`01 46 08` repeated, issue 11's hostile line) fed the same two ways; next to plain CRC-16 over
// the same bytes and serialport's ByteLengthParser framing the reply stream (fixed length, no CRC,
// no resync). Every row is measured in this run; ratios are to plain CRC-16 speed. The same rows
// are then measured again in a child node with the daemon's flags as shipped (DAEMON_NODE_FLAGS:
// V8's interpreter only), which is how `sharebridge run` deframes.
import { ByteLengthParser } from "@serialport/parser-byte-length";
import { Deframer } from "../dist/receiver/deframer.js";
import { crc16 } from "../dist/wire/crc16.js";
import { encodePacket, MAX_RESPONSE_LENGTH } from "../dist/wire/packet.js";
import { DAEMON_NODE_FLAGS, figuresAsShipped } from "./processes.mjs";
import { mbPerSecond, measure } from "./timing.mjs";

const REPLIES = 64;

function replies() {
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

/** `01 46 08` repeated: every third byte a SOF announcing a 2118-byte packet that never checks out. */
function falseStartFlood(length) {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = [0x01, 0x46, 0x08][i % 3];
  return bytes;
}

function pieces(bytes, size) {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export async function run(print) {
  const stream = replies();
  const flood = falseStartFlood(stream.length);
  let packets = 0;
  let discarded = 0;
  const deframer = new Deframer(MAX_RESPONSE_LENGTH, (event) => {
    if (event.kind === "packet") packets++;
    else discarded += event.count;
  });
  const feed = (chunks) => () => {
    for (const chunk of chunks) deframer.push(chunk);
    deframer.reset();
  };
  const crcOnly = (chunks) => () => {
    for (const chunk of chunks) crc16(chunk, 0, chunk.length);
  };
  const parser = new ByteLengthParser({ length: 2118 });
  parser.on("data", () => packets++);
  const byteLength = (chunks) => () => {
    for (const chunk of chunks) parser.write(chunk);
  };

  const crcMs = measure(crcOnly(pieces(stream, 2118)));
  const rows = [
    ["deframer, replies in whole transfers", measure(feed(pieces(stream, 2118)))],
    ["deframer, replies in 64-byte pieces", measure(feed(pieces(stream, 64)))],
    ["deframer, false-start flood (01 46 08), 2118-byte chunks", measure(feed(pieces(flood, 2118)))],
    ["deframer, false-start flood (01 46 08), 64-byte pieces", measure(feed(pieces(flood, 64)))],
    ["ByteLengthParser, replies whole (no CRC, no resync)", measure(byteLength(pieces(stream, 2118)))],
    ["ByteLengthParser, replies in 64-byte pieces", measure(byteLength(pieces(stream, 64)))],
  ];
  if (packets === 0 || discarded === 0) throw new Error("nothing was framed or discarded");

  const mb = (ms) => mbPerSecond(stream.length, ms).toFixed(1).padStart(7);
  print(`stream: ${REPLIES} replies × 2118 bytes = ${stream.length} bytes; the flood is as long`);
  print(`${"plain CRC-16 over the same bytes".padEnd(58)} ${mb(crcMs)} MB/s  1.00 × CRC speed`);
  for (const [name, ms] of rows) {
    print(`${name.padEnd(58)} ${mb(ms)} MB/s  ${(crcMs / ms).toFixed(2)} × CRC speed`);
  }
  const shipped = await figuresAsShipped("deframer");
  if (shipped === undefined) return;
  print(`as the daemon runs (node ${DAEMON_NODE_FLAGS.join(" ")}: V8's interpreter only):`);
  for (const line of shipped) print(`  ${line.trim()}`);
  print("(a USB full-speed receiver sends at most about 1.2 MB/s)");
}
