/**
 * CAL_SET (5) decoders (spec receiver-protocol §5.5): 148 bytes for revision ≤ 2, 249 for revision 3.
 *
 *   0 u32 system  4 u32 display  8 f64 slope  16 f64 intercept  24 f64 scale  32 3 × u8 unknown
 *  35 f64 decay  43 u8 sub-record count n  44 n × 17-byte sub-records (unused slots zero)
 *  rev 3: 231 f64 unknown (0.3 observed)  239 f64 unknown (2/3 observed)
 *  L−2 u16 CRC
 *
 * Sub-record: 0 u32 entered (system clock)  4 u32 meter glucose  8 u32 sensor counts
 *             12 u32 applied (system clock)  16 u8 unknown
 */
import { SharebridgeError } from "../../errors.js";
import type { CalSetRecord, CalSubRecord } from "../record-types.js";
import type { RecordDecoder } from "./decoder.js";

export const CAL_SET_SHORT_LENGTH = 148;
export const CAL_SET_LONG_LENGTH = 249;

const SUB_RECORDS_OFFSET = 44;
const SUB_RECORD_LENGTH = 17;
/** Slots the space holds: (148 − 2 − 44) / 17 = 6; (249 − 2 − 16 − 44) / 17 = 11. */
const SHORT_MAX_SUB_RECORDS = 6;
const LONG_MAX_SUB_RECORDS = 11;
const LONG_EXTRA_OFFSET = 231;

function subRecords(view: DataView, offset: number, index: number, max: number): CalSubRecord[] {
  const count = view.getUint8(offset + 43);
  if (count > max) {
    // The CRC matched, so these are the receiver's bytes, but they cannot be what §5.5 describes.
    throw new SharebridgeError("RECORD_TRUNCATED", "calibration sub-record count exceeds the record", {
      index,
      count,
      max,
    });
  }
  const result: CalSubRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + SUB_RECORDS_OFFSET + i * SUB_RECORD_LENGTH;
    result.push({
      enteredSeconds: view.getUint32(at, true),
      meterGlucose: view.getUint32(at + 4, true),
      sensorCounts: view.getUint32(at + 8, true),
      appliedSeconds: view.getUint32(at + 12, true),
      unknown: view.getUint8(at + 16),
    });
  }
  return result;
}

function calSet(
  view: DataView,
  offset: number,
  recordType: number,
  index: number,
  max: number,
  extraDoubles: readonly [number, number] | null,
): CalSetRecord {
  return {
    kind: "calibration",
    recordType,
    index,
    systemSeconds: view.getUint32(offset, true),
    displaySeconds: view.getUint32(offset + 4, true),
    slope: view.getFloat64(offset + 8, true),
    intercept: view.getFloat64(offset + 16, true),
    scale: view.getFloat64(offset + 24, true),
    unknownBytes: [view.getUint8(offset + 32), view.getUint8(offset + 33), view.getUint8(offset + 34)],
    decay: view.getFloat64(offset + 35, true),
    subRecords: subRecords(view, offset, index, max),
    extraDoubles,
  };
}

export const decodeCalSetShort: RecordDecoder<CalSetRecord> = (view, offset, recordType, index) =>
  calSet(view, offset, recordType, index, SHORT_MAX_SUB_RECORDS, null);

export const decodeCalSetLong: RecordDecoder<CalSetRecord> = (view, offset, recordType, index) =>
  calSet(view, offset, recordType, index, LONG_MAX_SUB_RECORDS, [
    view.getFloat64(offset + LONG_EXTRA_OFFSET, true),
    view.getFloat64(offset + LONG_EXTRA_OFFSET + 8, true),
  ]);
