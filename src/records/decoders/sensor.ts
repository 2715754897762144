/**
 * SENSOR_DATA (3), rev 1, 20 bytes (spec receiver-protocol §5.2):
 *
 *   0 u32 system  4 u32 display  8 u32 unfiltered  12 u32 filtered  16 RSSI (2 bytes)  18 u16 CRC
 *
 * Peers disagree on the RSSI bytes (§9.1): both readings are kept.
 */
import type { SensorRecord } from "../record-types.js";
import type { RecordDecoder } from "./decoder.js";

export const SENSOR_LENGTH = 20;

export const decodeSensor: RecordDecoder<SensorRecord> = (view, offset, recordType, index) => ({
  kind: "sensor",
  recordType,
  index,
  systemSeconds: view.getUint32(offset, true),
  displaySeconds: view.getUint32(offset + 4, true),
  unfiltered: view.getUint32(offset + 8, true),
  filtered: view.getUint32(offset + 12, true),
  rssi: view.getInt16(offset + 16, true),
  rssiByte: view.getInt8(offset + 16),
});
