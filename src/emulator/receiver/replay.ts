/**
 * Replay: an emulated receiver whose database starts from real pages (DESIGN.md §9), for debugging a
 * receiver's data with the whole stack and for tests that want real bytes behind the sync.
 *
 * The input is what `sharebridge receiver dump --format hex` prints: one 528-byte page per line as hex
 * pairs (receiver-protocol §4.1; the fixtures' format). Dumps of several partitions may be
 * concatenated; blank lines and lines starting with `#` are ignored. Each page says itself which
 * partition and page number it is (its header, §4.3), so the order of the lines does not matter.
 *
 * What the emulator makes of them (partition.ts, receiver.ts):
 * - Each partition serves its replayed pages byte for byte; a page number between two replayed ones
 *   that the file lacks reads as erased flash (528 × FF), which a reader reports as unreadable.
 * - Generated records (the history of `days`, then live readings) continue the indexes after the
 *   newest replayed page: on that page itself when it is partly filled with the profile's revision
 *   and keeps `FirstRecordIndex = PageNumber × recordsPerPage` (§4.5), else from the next page.
 * - The receiver's clock is set so that the generated history starts one reading interval after the
 *   newest replayed EGV record (without EGV pages: the newest replayed record), so real and
 *   generated readings form one history; the serial is the replayed manufacturing record's.
 *
 * Everything here comes from a file: bounded (size, pages), and a bad line is a CONFIG_INVALID
 * naming its line number and what is wrong, never its contents beyond the page header's fields.
 */
import { SharebridgeError } from "../../errors.js";
import { layoutForRevision } from "../../records/layouts.js";
import { decodeManufacturingPage } from "../../records/xml-record.js";
import { fromHex } from "../../util/hex.js";
import { readSmallTextFile } from "../../util/small-file.js";
import { decodePageHeader, PAGE_HEADER_LENGTH, PAGE_LENGTH, pageHeaderIntact } from "../../wire/page.js";
import { RECORD_TYPE, recordTypeName } from "../../wire/record-types.js";

/** Largest replay text accepted: a whole G4 (a few thousand pages) is far below it. */
export const MAX_REPLAY_BYTES = 32 * 1024 * 1024;
/** Most pages one replay may hold. */
export const MAX_REPLAY_PAGES = 20_000;

/** Replayed pages by record type, each list sorted by page number (no page twice). */
export type ReplayPages = ReadonlyMap<number, readonly Uint8Array[]>;

function invalid(line: number, why: string, context: Record<string, unknown> = {}): never {
  throw new SharebridgeError("CONFIG_INVALID", `replay line ${line}: ${why}`, { line, ...context });
}

/** Parses replay text (see the module comment). Throws CONFIG_INVALID for anything that is not one. */
export function parseReplay(text: string): ReplayPages {
  if (text.length > MAX_REPLAY_BYTES) {
    throw new SharebridgeError("CONFIG_INVALID", `a replay holds at most ${MAX_REPLAY_BYTES} bytes`, {
      length: text.length,
    });
  }
  const byType = new Map<number, Map<number, Uint8Array>>();
  let count = 0;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const lineNumber = i + 1;
    if (++count > MAX_REPLAY_PAGES) invalid(lineNumber, `a replay holds at most ${MAX_REPLAY_PAGES} pages`);
    let page: Uint8Array;
    try {
      page = fromHex(line);
    } catch {
      return invalid(lineNumber, "not hex pairs (a page as `receiver dump --format hex` prints it)");
    }
    if (page.length !== PAGE_LENGTH) {
      invalid(lineNumber, `a page is ${PAGE_LENGTH} bytes, this line has ${page.length}`);
    }
    if (!pageHeaderIntact(page)) invalid(lineNumber, "the page header's CRC does not hold");
    const header = decodePageHeader(page);
    const pages = byType.get(header.recordType) ?? new Map<number, Uint8Array>();
    if (pages.has(header.pageNumber)) {
      invalid(lineNumber, `page ${header.pageNumber} of ${recordTypeName(header.recordType)} appears twice`, {
        recordType: header.recordType,
        pageNumber: header.pageNumber,
      });
    }
    pages.set(header.pageNumber, page);
    byType.set(header.recordType, pages);
  }
  if (count === 0) throw new SharebridgeError("CONFIG_INVALID", "the replay holds no page", {});
  const out = new Map<number, readonly Uint8Array[]>();
  for (const [type, pages] of byType) {
    out.set(
      type,
      [...pages.entries()].sort(([a], [b]) => a - b).map(([, page]) => page),
    );
  }
  return out;
}

/** Reads and parses a replay file (`emulate receiver --replay FILE`), bounded in size. */
export async function readReplayFile(path: string): Promise<ReplayPages> {
  const text = await readSmallTextFile(path, { name: "the replay", maxBytes: MAX_REPLAY_BYTES });
  try {
    return parseReplay(text);
  } catch (error) {
    if (error instanceof SharebridgeError) throw error.within(path, { file: path });
    throw error;
  }
}

/** SystemTime of each record of a page whose layout is known (§5.0: the first u32 of a record). */
function recordSystemSeconds(page: Uint8Array): number[] {
  const header = decodePageHeader(page);
  const layout = layoutForRevision(header.recordType, header.revision);
  if (layout === undefined) return [];
  const view = new DataView(page.buffer, page.byteOffset, page.length);
  const out: number[] = [];
  for (let k = 0; k < header.recordCount; k++) {
    const at = PAGE_HEADER_LENGTH + k * layout.length;
    if (at + layout.length > PAGE_LENGTH) break;
    out.push(view.getUint32(at, true));
  }
  return out;
}

/** Types whose records are factory and PC documents, not history (§5.8). */
const XML_TYPES: ReadonlySet<number> = new Set([
  RECORD_TYPE.MANUFACTURING_DATA,
  RECORD_TYPE.FIRMWARE_PARAMETER_DATA,
  RECORD_TYPE.PC_SOFTWARE_PARAMETER,
]);

/**
 * The newest SystemTime of the replayed history: of EGV_DATA when it was replayed, else of every
 * replayed record but the XML documents. Undefined when no replayed record has a known layout.
 */
export function newestReplayedSystemSeconds(replay: ReplayPages): number | undefined {
  const egv = replay.get(RECORD_TYPE.EGV_DATA);
  const sources = egv ?? [...replay].flatMap(([type, pages]) => (XML_TYPES.has(type) ? [] : pages));
  let newest: number | undefined;
  for (const page of sources) {
    for (const seconds of recordSystemSeconds(page)) newest = Math.max(newest ?? seconds, seconds);
  }
  return newest;
}

/** The serial of the newest replayed manufacturing record, if one was replayed. */
export function replayedSerial(replay: ReplayPages): string | undefined {
  const pages = replay.get(RECORD_TYPE.MANUFACTURING_DATA);
  const last = pages?.at(-1);
  if (last === undefined) return undefined;
  try {
    return decodeManufacturingPage(last).serialNumber;
  } catch (error) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      "the replayed manufacturing page holds no usable serial number",
      { code: error instanceof SharebridgeError ? error.code : undefined },
      { cause: error },
    );
  }
}
