/**
 * USER_SETTING_DATA (12) decoders (spec receiver-protocol §5.7). Field meanings come from one source
 * (TP) for G4 and from two agreeing sources (TP, DT/DP) for G5/G6.
 *
 *   G4 rev 3 (48 B)  8 u32 system offset  12 i32 display offset  16 u32 transmitter id (5 × 5 bits)
 *                    20 u32 enable flags  24–38 8 × u16 alarms/language  40 u8 profile  41 u8 set-up
 *                    42 u32 unknown  46 u16 CRC
 *   rev 5 (50 B)     8 i32 system offset  12 i32 display offset  16 6 × ASCII transmitter id
 *                    22 u32 enable flags  26–40 8 × u16  42 u8 profile  43 u8 set-up  44 4 unknown
 *                    48 u16 CRC
 *   rev 6 (60 B)     as rev 5 to 43, then 44 u16 urgent-low-soon snooze  46 u8 brightness
 *                    47 4 × ASCII sensor code  51 unknown  52 u8 graph height  53 5 unknown  58 u16 CRC
 *
 * The eight u16 fields, in order: high level, high snooze, low level, low snooze, rise rate, fall rate,
 * out-of-range snooze, language.
 */
import type { UserSettingRecord } from "../record-types.js";
import { type RecordDecoder, readAscii } from "./decoder.js";

export const USER_SETTING_G4_LENGTH = 48;
export const USER_SETTING_REV5_LENGTH = 50;
export const USER_SETTING_REV6_LENGTH = 60;

/** Enable flag bits (§5.7, TP). */
export const ENABLE_FLAGS = {
  BLINDED: 0x0001,
  TWENTY_FOUR_HOUR_TIME: 0x0002,
  MANUFACTURING_MODE: 0x0004,
  LOW_ALARM_ENABLED: 0x0010,
  HIGH_ALARM_ENABLED: 0x0020,
  RISE_RATE_ENABLED: 0x0040,
  FALL_RATE_ENABLED: 0x0080,
  OUT_OF_RANGE_ENABLED: 0x0100,
  TIME_LOSS_OCCURRED: 0x0200,
} as const;

/** The G4's 32-symbol transmitter-id alphabet (no I, O, V, Z). */
const TRANSMITTER_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUWXY";

/** G4 transmitter id: five 5-bit symbols, first character most significant (e.g. 0x00652D8D ↔ 6ABCD). */
export function decodeG4TransmitterId(value: number): string {
  let id = "";
  for (let shift = 20; shift >= 0; shift -= 5) id += TRANSMITTER_ALPHABET[(value >>> shift) & 0x1f];
  return id;
}

function settings(
  view: DataView,
  offset: number,
  recordType: number,
  index: number,
  systemTimeOffsetSeconds: number,
  transmitterId: string,
  enableFlags: number,
  fields: number,
  bytes: number,
  rev6: boolean,
): UserSettingRecord {
  return {
    kind: "settings",
    recordType,
    index,
    systemSeconds: view.getUint32(offset, true),
    displaySeconds: view.getUint32(offset + 4, true),
    systemTimeOffsetSeconds,
    displayTimeOffsetSeconds: view.getInt32(offset + 12, true),
    transmitterId,
    enableFlags,
    highAlarmMgdl: view.getUint16(offset + fields, true),
    highAlarmSnoozeMinutes: view.getUint16(offset + fields + 2, true),
    lowAlarmMgdl: view.getUint16(offset + fields + 4, true),
    lowAlarmSnoozeMinutes: view.getUint16(offset + fields + 6, true),
    riseRate: view.getUint16(offset + fields + 8, true),
    fallRate: view.getUint16(offset + fields + 10, true),
    outOfRangeSnoozeMinutes: view.getUint16(offset + fields + 12, true),
    language: view.getUint16(offset + fields + 14, true),
    alarmProfile: view.getUint8(offset + bytes),
    setUpState: view.getUint8(offset + bytes + 1),
    urgentLowSoonSnoozeMinutes: rev6 ? view.getUint16(offset + 44, true) : null,
    brightness: rev6 ? view.getUint8(offset + 46) : null,
    sensorCode: rev6 ? readAscii(view, offset + 47, 4) : null,
    graphHeight: rev6 ? view.getUint8(offset + 52) : null,
  };
}

export const decodeUserSettingG4: RecordDecoder<UserSettingRecord> = (view, offset, recordType, index) =>
  settings(
    view,
    offset,
    recordType,
    index,
    view.getUint32(offset + 8, true),
    decodeG4TransmitterId(view.getUint32(offset + 16, true)),
    view.getUint32(offset + 20, true),
    24,
    40,
    false,
  );

/** G5/G6 (rev 5, 50 bytes; rev 6, 60 bytes with its extra fields): ASCII transmitter id, signed offsets. */
function decodeUserSettingG5(rev6: boolean): RecordDecoder<UserSettingRecord> {
  return (view, offset, recordType, index) =>
    settings(
      view,
      offset,
      recordType,
      index,
      view.getInt32(offset + 8, true),
      readAscii(view, offset + 16, 6),
      view.getUint32(offset + 22, true),
      26,
      42,
      rev6,
    );
}

export const decodeUserSettingRev5 = decodeUserSettingG5(false);
export const decodeUserSettingRev6 = decodeUserSettingG5(true);
