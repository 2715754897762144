// Page decoder throughput (DESIGN.md §4, §10): full G4 EGV pages (38 × 13-byte records, rev 2) and
// full touchscreen EGV pages (20 × 25-byte records, rev 5), decoded by the real page decoder with
// PartitionInfo's lengths, next to plain CRC-16 over the same bytes in the same run. The decoder
// CRC-checks the header and every record, so CRC speed is its ceiling; the ratio shows the rest.
// The same figures are then measured in a child node with the daemon's flags as shipped
// (DAEMON_NODE_FLAGS: V8's interpreter only), which is how `sharebridge run` decodes.

import { decodePage } from "../dist/records/page.js";
import { crc16 } from "../dist/wire/crc16.js";
import { DAEMON_NODE_FLAGS, figuresAsShipped } from "./processes.mjs";
import { mbPerSecond, measure } from "./timing.mjs";

const PAGE = 528;
/** About 30 days of 5-minute readings on a G4: 8640 readings / 38 per page. */
const PAGES = 228;

function writeCrc(bytes, start, end) {
  const crc = crc16(bytes, start, end);
  bytes[end] = crc & 0xff;
  bytes[end + 1] = crc >>> 8;
}

/** Pages of realistic EGV records: 5-minute steps, a slow glucose curve, Flat/Clean mostly. */
function egvPages(revision, length) {
  const perPage = Math.floor(500 / length);
  const pages = [];
  for (let p = 0; p < PAGES; p++) {
    const page = new Uint8Array(PAGE).fill(0xff);
    const view = new DataView(page.buffer);
    page.fill(0, 0, 28);
    view.setUint32(0, (1000 + p) * perPage, true);
    view.setUint32(4, perPage, true);
    view.setUint8(8, 4);
    view.setUint8(9, revision);
    view.setUint32(10, 1000 + p, true);
    writeCrc(page, 0, 26);
    for (let k = 0; k < perPage; k++) {
      const at = 28 + k * length;
      const i = p * perPage + k;
      const system = 300_000_000 + i * 300;
      view.setUint32(at, system, true);
      view.setUint32(at + 4, system - 18_000, true);
      view.setUint16(at + 8, Math.round(140 + 60 * Math.sin(i / 40)), true);
      const trendNoise = 0x14;
      if (length === 13) {
        view.setUint8(at + 10, trendNoise);
      } else {
        view.setUint32(at + 10, system - 1, true);
        view.setUint32(at + 14, 1_000_000 + i * 300, true);
        view.setInt8(at + 18, 0);
        view.setUint8(at + 19, trendNoise);
        view.setUint8(at + 20, 6);
        view.setUint16(at + 21, 140, true);
      }
      writeCrc(page, at, at + length - 2);
    }
    pages.push(page);
  }
  return { pages, perPage };
}

function bench(print, label, revision, length) {
  const { pages, perPage } = egvPages(revision, length);
  const expect = { recordType: 4, partition: { revision, recordLength: length } };
  const bytes = pages.length * PAGE;
  const records = pages.length * perPage;
  let decoded = 0;
  const decodeAll = () => {
    for (const page of pages) decoded += decodePage(page, expect).records.length;
  };
  let sink = 0;
  const crcAll = () => {
    for (const page of pages) sink ^= crc16(page, 0, PAGE);
  };
  // Interleave so both see the same machine state; the best of several rounds is kept.
  const crcMs = measure(crcAll);
  const decodeMs = measure(decodeAll);
  if (decoded === 0 || sink === -1) throw new Error("nothing decoded");
  const decodeMb = mbPerSecond(bytes, decodeMs);
  const crcMb = mbPerSecond(bytes, crcMs);
  print(
    `${label}: ${pages.length} pages × ${perPage} records (${length} B) = ${bytes} bytes, ${records} records`,
  );
  print(`  plain CRC-16 over the same bytes:  ${crcMb.toFixed(1)} MB/s`);
  print(
    `  page decoder (CRCs + records):      ${decodeMb.toFixed(1)} MB/s, ` +
      `${(((records / decodeMs) * 1000) / 1e6).toFixed(2)} M records/s, ` +
      `${((decodeMs * 1000) / pages.length).toFixed(2)} µs/page`,
  );
  print(`  decoder / CRC throughput:           ${(decodeMb / crcMb).toFixed(2)}`);
}

export async function run(print) {
  bench(print, "G4 EGV pages (rev 2)", 2, 13);
  bench(print, "touchscreen EGV pages (rev 5)", 5, 25);
  const shipped = await figuresAsShipped("decode");
  if (shipped === undefined) return;
  print(`as the daemon runs (node ${DAEMON_NODE_FLAGS.join(" ")}: V8's interpreter only):`);
  for (const line of shipped) print(`  ${line.trim()}`);
}
