/**
 * INSERTION_TIME (7) decoders (spec receiver-protocol §5.4):
 *
 *   G4 rev 1 (15 B)     0 u32 system  4 u32 display  8 u32 insertion time  12 u8 session state  13 u16 CRC
 *   rev ≥ 2 (25 B)      … 12 u8 session state  13 u32 "number"  17 6 × ASCII transmitter id  23 u16 CRC
 *
 * The insertion time is on the system clock; FFFFFFFF means "none" (state 1 and 2 records).
 */
import type { InsertionRecord } from "../record-types.js";
import { type RecordDecoder, readAscii } from "./decoder.js";

export const INSERTION_G4_LENGTH = 15;
export const INSERTION_REV2_LENGTH = 25;

const NO_TIME = 0xffffffff;

/** Session states (§5.4); 10–17 are unnamed states of later firmware. */
export const SESSION_STATE = {
  NONE: 0,
  REMOVED: 1,
  EXPIRED: 2,
  RESIDUAL_DEVIATION: 3,
  COUNTS_DEVIATION: 4,
  SECOND_SESSION: 5,
  OFF_TIME_LOSS: 6,
  STARTED: 7,
  BAD_TRANSMITTER: 8,
  MANUFACTURING_MODE: 9,
} as const;

function insertionSeconds(view: DataView, offset: number): number | null {
  const value = view.getUint32(offset + 8, true);
  return value === NO_TIME ? null : value;
}

function insertion(rev2: boolean): RecordDecoder<InsertionRecord> {
  return (view, offset, recordType, index) => ({
    kind: "insertion",
    recordType,
    index,
    systemSeconds: view.getUint32(offset, true),
    displaySeconds: view.getUint32(offset + 4, true),
    insertionSeconds: insertionSeconds(view, offset),
    sessionState: view.getUint8(offset + 12),
    sessionNumber: rev2 ? view.getUint32(offset + 13, true) : null,
    transmitterId: rev2 ? readAscii(view, offset + 17, 6) : null,
  });
}

export const decodeInsertionG4 = insertion(false);
export const decodeInsertionRev2 = insertion(true);
