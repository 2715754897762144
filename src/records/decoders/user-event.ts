/**
 * USER_EVENT_DATA (11), rev 1, 20 bytes (spec receiver-protocol §5.6):
 *
 *   0 u32 system  4 u32 display  8 u8 event type  9 u8 sub-type  10 u32 event time (display clock)
 *  14 u32 value  18 u16 CRC
 */
import type { UserEventRecord } from "../record-types.js";
import type { RecordDecoder } from "./decoder.js";

export const USER_EVENT_LENGTH = 20;

/** Event types (§5.6). Values: carbs in grams, insulin in units × 100, exercise in minutes. */
export const EVENT_TYPE = { CARBS: 1, INSULIN: 2, HEALTH: 3, EXERCISE: 4 } as const;

export const decodeUserEvent: RecordDecoder<UserEventRecord> = (view, offset, recordType, index) => ({
  kind: "event",
  recordType,
  index,
  systemSeconds: view.getUint32(offset, true),
  displaySeconds: view.getUint32(offset + 4, true),
  eventType: view.getUint8(offset + 8),
  eventSubType: view.getUint8(offset + 9),
  eventDisplaySeconds: view.getUint32(offset + 10, true),
  value: view.getUint32(offset + 14, true),
});
