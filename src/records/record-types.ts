/**
 * Record types (partitions, spec receiver-protocol §4.2) and the decoded record shapes (§5).
 *
 * Every decoded record is a plain object with a `kind`, the partition it came from, its global index
 * (`FirstRecordIndex + k`, stable for the life of the receiver, §4.5) and the common prefix of §5.0.
 * Units are in the field names: `…Seconds` fields are receiver seconds since 2009-01-01 on the clock
 * the name states (`system…`, `display…`, `transmitter…`, spec §6.2); glucose values are mg/dL
 * whatever the receiver displays (§5.1). Fields a layout does not carry are `null`, so every record of
 * a kind has the same shape (one hidden class on the hot path, stable JSON columns for export).
 * Partition ids and names are the wire module's (src/wire/record-types.ts).
 */
import type { XmlElement } from "../util/xml.js";

/** What every record carries (spec §5.0). */
export interface RecordBase {
  /** Partition id the record was read from (§4.2). */
  readonly recordType: number;
  /** Global record index: FirstRecordIndex of its page + its position in the page (§4.5). */
  readonly index: number;
  /** Receiver system clock when the record was written (§6.1). */
  readonly systemSeconds: number;
  /** Receiver display clock (the wearer's wall clock) when the record was written. */
  readonly displaySeconds: number;
}

/** EGV_DATA (4) and BACKFILLED_EGV_DATA (18), every revision (spec §5.1). */
export interface EgvRecord extends RecordBase {
  readonly kind: "egv";
  /**
   * Bits 0–9 of the glucose word, as stored: a glucose value in mg/dL, or a special-value code
   * (see `special`). 39 and 401 are the receiver's LOW and HIGH markers.
   */
  readonly glucose: number;
  /** Bits 10–15 of the glucose word, unshifted (0x8000 display-only; 0x4000, 0x2000 on rev ≥ 5). */
  readonly glucoseFlags: number;
  /** Bit 15: a reading shown but superseded (calibration); never posted (DESIGN.md §4). */
  readonly displayOnly: boolean;
  /**
   * The glucose field's value when it is not a glucose measurement (below `SPECIAL_GLUCOSE_LIMIT` in records/glucose.ts,
   * i.e. < 20), otherwise null. Codes 0–12 are named in `SPECIAL_GLUCOSE` (records/glucose.ts).
   */
  readonly special: number | null;
  /** Trend arrow 0–9 (§5.1 table; 4 = Flat). */
  readonly trend: number;
  /** Noise 0–6 (§5.1: 1 Clean … 4 Heavy, 5 not computed, 6 max). */
  readonly noise: number;
  /** Rev ≥ 4, offset 10: the reading's own time on the system clock (differs for backfilled values). */
  readonly readingSystemSeconds: number | null;
  /** Rev ≥ 4, offset 14: the transmitter's clock (seconds since transmitter start). */
  readonly transmitterSeconds: number | null;
  /** Rev ≥ 4, offset 18: filtered rate, signed (TP's reading, §9.1). */
  readonly filteredRate: number | null;
  /** Rev ≥ 4, offset 20: algorithm state. */
  readonly algorithmState: number | null;
  /** Rev 5, offset 21: predicted glucose (bits 0–9); null on other revisions and for 13 (no prediction). */
  readonly predictedGlucose: number | null;
  /** Rev 5, bit 15 of the predicted-glucose word: URGENT_LOW_SOON; null on other revisions. */
  readonly urgentLowSoon: boolean | null;
}

/** SENSOR_DATA (3), rev 1 (spec §5.2). */
export interface SensorRecord extends RecordBase {
  readonly kind: "sensor";
  readonly unfiltered: number;
  readonly filtered: number;
  /** Bytes 16–17 as a signed 16-bit value (DR, AU; the Nightscout convention, §9.1). */
  readonly rssi: number;
  /** Byte 16 alone as a signed byte (EC's reading, which treats byte 17 as unknown, §9.1). */
  readonly rssiByte: number;
}

/** METER_DATA (10), rev 1–3 (spec §5.3). */
export interface MeterRecord extends RecordBase {
  readonly kind: "meter";
  readonly meterGlucose: number;
  /** When the meter value was taken, on the receiver system clock. */
  readonly meterSeconds: number;
  /** Rev 3 only: entry type (meaning not documented). */
  readonly entryType: number | null;
  /** Rev 3 only: the value at offset 15 — transmitter clock (TP) or "testNum" (DT/DP), often FFFFFFFF. */
  readonly meterTransmitterSeconds: number | null;
}

/** INSERTION_TIME (7), rev 1 and ≥ 2 (spec §5.4). */
export interface InsertionRecord extends RecordBase {
  readonly kind: "insertion";
  /** Sensor insertion time on the system clock; null when stored as FFFFFFFF (none). */
  readonly insertionSeconds: number | null;
  /** Session state (`SESSION_STATE`; 1 removed, 7 started). */
  readonly sessionState: number;
  /** Rev ≥ 2: the u32 at offset 13 (meaning unknown, DT calls it "number"). */
  readonly sessionNumber: number | null;
  /** Rev ≥ 2: 6 ASCII bytes at offset 17 (DT), NULs and non-printables dropped. */
  readonly transmitterId: string | null;
}

/** One 17-byte calibration sub-record (spec §5.5). */
export interface CalSubRecord {
  /** When the meter value was entered, system clock. */
  readonly enteredSeconds: number;
  readonly meterGlucose: number;
  readonly sensorCounts: number;
  /** When the calibration was applied, system clock. */
  readonly appliedSeconds: number;
  /** Byte 16 (0 or 1 observed, meaning unknown). */
  readonly unknown: number;
}

/** CAL_SET (5), 148 bytes (rev ≤ 2) or 249 bytes (rev 3) (spec §5.5). */
export interface CalSetRecord extends RecordBase {
  readonly kind: "calibration";
  readonly slope: number;
  readonly intercept: number;
  readonly scale: number;
  /** Bytes 32–34 (first two `03 06` in every observed record). */
  readonly unknownBytes: readonly [number, number, number];
  readonly decay: number;
  readonly subRecords: readonly CalSubRecord[];
  /** Rev 3 only: the two doubles at 231 and 239 (0.3 and 2/3 in every observed record). */
  readonly extraDoubles: readonly [number, number] | null;
}

/** USER_EVENT_DATA (11), rev 1 (spec §5.6). */
export interface UserEventRecord extends RecordBase {
  readonly kind: "event";
  /** 1 carbs, 2 insulin, 3 health, 4 exercise (`EVENT_TYPE`). */
  readonly eventType: number;
  readonly eventSubType: number;
  /** The time the user entered, on the display clock (§6.2). */
  readonly eventDisplaySeconds: number;
  /** Carbs: grams; insulin: units × 100; exercise: minutes; health: unused. */
  readonly value: number;
}

/** USER_SETTING_DATA (12), rev 3 (48 bytes), 5 (50) and 6 (60) (spec §5.7). */
export interface UserSettingRecord extends RecordBase {
  readonly kind: "settings";
  readonly systemTimeOffsetSeconds: number;
  /** The display offset in force after this change: successive differing values are clock changes. */
  readonly displayTimeOffsetSeconds: number;
  /** G4: decoded from 5 × 5 bits; G5/G6: ASCII. */
  readonly transmitterId: string;
  /** `ENABLE_FLAGS` bits. */
  readonly enableFlags: number;
  readonly highAlarmMgdl: number;
  readonly highAlarmSnoozeMinutes: number;
  readonly lowAlarmMgdl: number;
  readonly lowAlarmSnoozeMinutes: number;
  readonly riseRate: number;
  readonly fallRate: number;
  readonly outOfRangeSnoozeMinutes: number;
  /** Windows LCID (§3.3). */
  readonly language: number;
  /** 1 Vibrate, 2 Soft, 3 Normal, 4 Attentive, 5 Hyposafe. */
  readonly alarmProfile: number;
  /** ≥ 5 means fully set up. */
  readonly setUpState: number;
  /** Rev 6 only. */
  readonly urgentLowSoonSnoozeMinutes: number | null;
  readonly brightness: number | null;
  readonly sensorCode: string | null;
  readonly graphHeight: number | null;
}

/** MANUFACTURING_DATA (0), FIRMWARE_PARAMETER_DATA (1), PC_SOFTWARE_PARAMETER (2) (spec §5.8). */
export interface XmlRecord extends RecordBase {
  readonly kind: "xml";
  readonly element: XmlElement;
}

export type DexcomRecord =
  | EgvRecord
  | SensorRecord
  | MeterRecord
  | InsertionRecord
  | CalSetRecord
  | UserEventRecord
  | UserSettingRecord
  | XmlRecord;

/** The record shape each partition decodes to (types without a known layout are absent). */
export interface RecordByType {
  0: XmlRecord;
  1: XmlRecord;
  2: XmlRecord;
  3: SensorRecord;
  4: EgvRecord;
  5: CalSetRecord;
  7: InsertionRecord;
  10: MeterRecord;
  11: UserEventRecord;
  12: UserSettingRecord;
  18: EgvRecord;
}

export type DecodableRecordType = keyof RecordByType;
