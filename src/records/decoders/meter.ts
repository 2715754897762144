/**
 * METER_DATA (10) decoders (spec receiver-protocol §5.3):
 *
 *   G4 rev 1–2 (16 B)  0 u32 system  4 u32 display  8 u16 meter glucose  10 u32 meter time  14 u16 CRC
 *   rev 3 (21 B)       … 8 u16 meter glucose  10 u8 entry type  11 u32 meter time
 *                      15 u32 transmitter time / "testNum"  19 u16 CRC
 *
 * The meter time is on the system clock (≈ 30 s before the record's SystemTime in every observed
 * record). Rev 3 reads the meter time at offset 11, as three sources do (§9.1).
 */
import type { MeterRecord } from "../record-types.js";
import type { RecordDecoder } from "./decoder.js";

export const METER_G4_LENGTH = 16;
export const METER_REV3_LENGTH = 21;

function meter(rev3: boolean): RecordDecoder<MeterRecord> {
  return (view, offset, recordType, index) => ({
    kind: "meter",
    recordType,
    index,
    systemSeconds: view.getUint32(offset, true),
    displaySeconds: view.getUint32(offset + 4, true),
    meterGlucose: view.getUint16(offset + 8, true),
    meterSeconds: view.getUint32(offset + (rev3 ? 11 : 10), true),
    entryType: rev3 ? view.getUint8(offset + 10) : null,
    meterTransmitterSeconds: rev3 ? view.getUint32(offset + 15, true) : null,
  });
}

export const decodeMeterG4 = meter(false);
export const decodeMeterRev3 = meter(true);
