/**
 * An independent check of database pages (spec receiver-protocol §4.3–§4.5, §5.8) and a small
 * decoder of the record layouts of §5, written from the spec for these tests only: the emulator's
 * encoders are checked against it, and it is itself checked against the real fixture pages.
 */
import { isSharebridgeError } from "../../../src/errors.js";
import { crc16 } from "../../../src/wire/crc16.js";
import { decodePageHeader, type PageHeader } from "../../../src/wire/page.js";

export interface PageFacts {
  readonly firstRecordIndex: number;
  readonly count: number;
  readonly recordType: number;
  readonly revision: number;
  readonly pageNumber: number;
  readonly records: Uint8Array[];
}

const EMPTY_FACTS: PageFacts = {
  firstRecordIndex: 0,
  count: 0,
  recordType: 0,
  revision: 0,
  pageNumber: 0,
  records: [],
};

/** Returns the problems found in one 528-byte page (empty when it is well formed). */
export function pageProblems(
  page: Uint8Array,
  recordLength: number,
): { problems: string[]; facts: PageFacts } {
  const problems: string[] = [];
  if (page.length !== 528) problems.push(`length ${page.length}`);
  let header: PageHeader;
  try {
    header = decodePageHeader(page);
  } catch (error) {
    if (!isSharebridgeError(error)) throw error;
    return { problems: [error.code], facts: { ...EMPTY_FACTS, records: [] } };
  }
  for (let i = 14; i < 26; i++) if (page[i] !== 0) problems.push(`reserved byte ${i} not 0`);
  const { recordCount: count, ...rest } = header;
  const facts: PageFacts = { ...rest, count, records: [] };
  const perPage = Math.floor(500 / recordLength);
  if (facts.firstRecordIndex !== facts.pageNumber * perPage) problems.push("§4.5 index invariant");
  if (facts.count > perPage) problems.push(`count ${facts.count} > ${perPage}`);
  for (let k = 0; k < Math.min(facts.count, perPage); k++) {
    const start = 28 + k * recordLength;
    const record = page.subarray(start, start + recordLength);
    const stored = (record[recordLength - 2] as number) | ((record[recordLength - 1] as number) << 8);
    if (stored !== crc16(record, 0, recordLength - 2)) problems.push(`record ${k} CRC`);
    if (recordLength === 500) {
      const text = record.subarray(8, 498);
      const nul = text.indexOf(0);
      if (nul < 0 || text.subarray(nul).some((b) => b !== 0)) problems.push(`record ${k} not NUL-padded`);
    }
    facts.records.push(record);
  }
  const used = 28 + Math.min(facts.count, perPage) * recordLength;
  if (page.subarray(used).some((b) => b !== 0xff)) problems.push("unused bytes not FF");
  return { problems, facts };
}

function dv(record: Uint8Array): DataView {
  return new DataView(record.buffer, record.byteOffset, record.byteLength);
}

function text(record: Uint8Array, start: number, length: number): string {
  const bytes = record.subarray(start, start + length);
  const nul = bytes.indexOf(0);
  return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString("latin1");
}

const G4_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUWXY";

/** Decodes one record into the emulator model's field names, by type and revision (§5). */
export function decodeRecord(recordType: number, revision: number, r: Uint8Array): Record<string, unknown> {
  const v = dv(r);
  const base = { systemSeconds: v.getUint32(0, true), displaySeconds: v.getUint32(4, true) };
  switch (recordType) {
    case 0:
    case 1:
    case 2:
      return { kind: "xml", ...base, xml: text(r, 8, 490) };
    case 3:
      return {
        kind: "sensor",
        ...base,
        unfiltered: v.getUint32(8, true),
        filtered: v.getUint32(12, true),
        rssi: v.getUint16(16, true),
      };
    case 4:
    case 18: {
      const word = v.getUint16(8, true);
      const glucose = word & 0x3ff;
      const trendNoise = v.getUint8(revision <= 3 ? 10 : 19);
      const out: Record<string, unknown> = {
        kind: "egv",
        ...base,
        glucose,
        special: glucose <= 12 ? glucose : null,
        displayOnly: (word & 0x8000) !== 0,
        trend: trendNoise & 0x0f,
        noise: (trendNoise & 0x70) >> 4,
      };
      if (revision >= 4) {
        out["readingSystemSeconds"] = v.getUint32(10, true);
        out["transmitterSeconds"] = v.getUint32(14, true);
        out["filteredRate"] = v.getInt8(18);
        out["algorithmState"] = v.getUint8(20);
      }
      if (revision >= 5) {
        const predicted = v.getUint16(21, true);
        out["computedOnTransmitter"] = (word & 0x4000) !== 0;
        out["backfilled"] = (word & 0x2000) !== 0;
        out["predictedGlucose"] = predicted & 0x3ff;
        out["urgentLowSoon"] = (predicted & 0x8000) !== 0;
      }
      return out;
    }
    case 5: {
      const count = v.getUint8(43);
      const subrecords = [];
      for (let i = 0; i < count; i++) {
        const at = 44 + 17 * i;
        subrecords.push({
          enteredSeconds: v.getUint32(at, true),
          meterGlucose: v.getUint32(at + 4, true),
          rawCounts: v.getUint32(at + 8, true),
          appliedSeconds: v.getUint32(at + 12, true),
          unknown: v.getUint8(at + 16),
        });
      }
      return {
        kind: "cal",
        ...base,
        slope: v.getFloat64(8, true),
        intercept: v.getFloat64(16, true),
        scale: v.getFloat64(24, true),
        unknownBytes: [v.getUint8(32), v.getUint8(33), v.getUint8(34)],
        decay: v.getFloat64(35, true),
        subrecords,
        ...(revision >= 3 ? { trailing: [v.getFloat64(231, true), v.getFloat64(239, true)] } : {}),
      };
    }
    case 7: {
      const insertion = v.getUint32(8, true);
      return {
        kind: "insertion",
        ...base,
        insertionSeconds: insertion === 0xffffffff ? null : insertion,
        state: v.getUint8(12),
        ...(revision >= 2 ? { number: v.getUint32(13, true), transmitterId: text(r, 17, 6) } : {}),
      };
    }
    case 10:
      return revision >= 3
        ? {
            kind: "meter",
            ...base,
            meterGlucose: v.getUint16(8, true),
            entryType: v.getUint8(10),
            meterSeconds: v.getUint32(11, true),
            meterTransmitterSeconds: v.getUint32(15, true),
          }
        : { kind: "meter", ...base, meterGlucose: v.getUint16(8, true), meterSeconds: v.getUint32(10, true) };
    case 11:
      return {
        kind: "event",
        ...base,
        eventType: v.getUint8(8),
        eventSubType: v.getUint8(9),
        eventSeconds: v.getUint32(10, true),
        value: v.getUint32(14, true),
      };
    case 12: {
      const g4 = r.length === 48;
      const alarms = g4 ? 24 : 26;
      let transmitterId: string;
      if (g4) {
        const packed = v.getUint32(16, true);
        transmitterId = "";
        for (let shift = 20; shift >= 0; shift -= 5) transmitterId += G4_ALPHABET[(packed >> shift) & 31];
      } else transmitterId = text(r, 16, 6);
      return {
        kind: "settings",
        ...base,
        systemTimeOffset: g4 ? v.getUint32(8, true) : v.getInt32(8, true),
        displayTimeOffset: v.getInt32(12, true),
        transmitterId,
        enableFlags: v.getUint32(g4 ? 20 : 22, true),
        highAlarmLevel: v.getUint16(alarms, true),
        highAlarmSnooze: v.getUint16(alarms + 2, true),
        lowAlarmLevel: v.getUint16(alarms + 4, true),
        lowAlarmSnooze: v.getUint16(alarms + 6, true),
        riseRate: v.getUint16(alarms + 8, true),
        fallRate: v.getUint16(alarms + 10, true),
        outOfRangeSnooze: v.getUint16(alarms + 12, true),
        language: v.getUint16(alarms + 14, true),
        alarmProfile: v.getUint8(alarms + 16),
        setupState: v.getUint8(alarms + 17),
        ...(revision === 6
          ? {
              urgentLowSoonSnooze: v.getUint16(44, true),
              brightness: v.getUint8(46),
              sensorCode: text(r, 47, 4),
              graphHeight: v.getUint8(52),
            }
          : {}),
      };
    }
    default:
      throw new Error(`no test decoder for type ${recordType}`);
  }
}
