/**
 * The emulated database as plain objects: one object per record, with the field values in the
 * spec's terms (receiver-protocol §5). The encoders turn these into bytes; tests compare the
 * decoder's output with them. A field exists exactly when the record's layout (type + revision)
 * carries it, so a round-trip test can compare field for field.
 *
 * Times are receiver seconds (§6.1); `*Seconds` names say which clock in the field's comment. The
 * code tables (special glucose values, trend, noise, session states, event types) are the records
 * layer's.
 */
import { GLUCOSE_HIGH_MG_DL, GLUCOSE_LOW_MG_DL } from "../../records/glucose.js";

/**
 * Rounds a sensor value to whole mg/dL and applies the receiver's LOW / HIGH markers (§5.1): a value
 * at or below the LOW marker is stored as it, one at or above the HIGH marker as that.
 */
export function toStoredGlucose(value: number): number {
  return Math.min(GLUCOSE_HIGH_MG_DL, Math.max(GLUCOSE_LOW_MG_DL, Math.round(value)));
}

interface Timestamped {
  /** Global record index: FirstRecordIndex of its page + its position (§4.5). */
  readonly index: number;
  /** System clock when the record was written (§5.0). */
  readonly systemSeconds: number;
  /** Display clock when written: systemSeconds + the display offset then in force (§5.0). */
  readonly displaySeconds: number;
}

export interface EgvRecord extends Timestamped {
  readonly kind: "egv";
  /** Bits 0–9 of the glucose word: mg/dL, 39/401 for LOW/HIGH, or a special value ≤ 12. */
  readonly glucose: number;
  /** The special-value code when `glucose` is one (≤ 12), else null. */
  readonly special: number | null;
  /** Bit 15: display only (G4) / computed on display (touchscreen). */
  readonly displayOnly: boolean;
  /** Bit 14, rev ≥ 5 only: computed on the transmitter. */
  readonly computedOnTransmitter?: boolean;
  /** Bit 13, rev ≥ 5 only: backfilled reading. */
  readonly backfilled?: boolean;
  readonly trend: number;
  readonly noise: number;
  /** Rev ≥ 4: the reading's time on the system clock (offset 10). */
  readonly readingSystemSeconds?: number;
  /** Rev ≥ 4: the transmitter's clock, seconds since it started (offset 14). */
  readonly transmitterSeconds?: number;
  /** Rev ≥ 4: i8 filtered rate (offset 18); SYNTHETIC scale: mg/dL/min × 10. */
  readonly filteredRate?: number;
  /** Rev ≥ 4: u8 algorithm state (offset 20); SYNTHETIC values (meaning not public). */
  readonly algorithmState?: number;
  /** Rev 5: predicted glucose value, bits 0–9 (13 = no prediction). */
  readonly predictedGlucose?: number;
  /** Rev 5: predicted-glucose word bit 15, URGENT_LOW_SOON. */
  readonly urgentLowSoon?: boolean;
}

export interface SensorRecord extends Timestamped {
  readonly kind: "sensor";
  readonly unfiltered: number;
  readonly filtered: number;
  /** The 16-bit RSSI field (§5.2, Nightscout convention). */
  readonly rssi: number;
}

export interface MeterRecord extends Timestamped {
  readonly kind: "meter";
  readonly meterGlucose: number;
  /** Meter time on the system clock (§5.3), ≈ 30 s before systemSeconds. */
  readonly meterSeconds: number;
  /** Rev 3 only: u8 entry type (meaning not public; SYNTHETIC value). */
  readonly entryType?: number;
  /** Rev 3 only: the meter time on the transmitter clock (TP's reading of offset 15). */
  readonly meterTransmitterSeconds?: number;
}

export interface InsertionRecord extends Timestamped {
  readonly kind: "insertion";
  /** Insertion time on the system clock, or null (stored FFFFFFFF) when there is none (§5.4). */
  readonly insertionSeconds: number | null;
  readonly state: number;
  /** Rev ≥ 2 only: the u32 "number" (meaning not public; the emulator writes the session ordinal). */
  readonly number?: number;
  /** Rev ≥ 2 only: the 6-character transmitter id. */
  readonly transmitterId?: string;
}

export interface CalSubrecord {
  /** Time entered, system clock. */
  readonly enteredSeconds: number;
  readonly meterGlucose: number;
  readonly rawCounts: number;
  /** Time applied, system clock. */
  readonly appliedSeconds: number;
  /** The trailing unknown byte (0 or 1 observed). */
  readonly unknown: number;
}

export interface CalRecord extends Timestamped {
  readonly kind: "cal";
  readonly slope: number;
  readonly intercept: number;
  readonly scale: number;
  /** The 3 unknown bytes at offset 32 (first two were 03 06 in every observed record). */
  readonly unknownBytes: readonly [number, number, number];
  readonly decay: number;
  readonly subrecords: readonly CalSubrecord[];
  /** Rev 3 only: the two trailing doubles (0.3 and 2/3 in every observed record). */
  readonly trailing?: readonly [number, number];
}

export interface UserEventRecord extends Timestamped {
  readonly kind: "event";
  readonly eventType: number;
  readonly eventSubType: number;
  /** The time the user entered, on the display clock (§5.6, §6.2). */
  readonly eventSeconds: number;
  /** Grams (carbs), units × 100 (insulin), minutes (exercise), 0 (health). */
  readonly value: number;
}

export interface UserSettingsRecord extends Timestamped {
  readonly kind: "settings";
  readonly systemTimeOffset: number;
  /** The display offset in force after this change (§5.7). */
  readonly displayTimeOffset: number;
  readonly transmitterId: string;
  readonly enableFlags: number;
  readonly highAlarmLevel: number;
  readonly highAlarmSnooze: number;
  readonly lowAlarmLevel: number;
  readonly lowAlarmSnooze: number;
  readonly riseRate: number;
  readonly fallRate: number;
  readonly outOfRangeSnooze: number;
  readonly language: number;
  readonly alarmProfile: number;
  readonly setupState: number;
  /** Rev 6 only. */
  readonly urgentLowSoonSnooze?: number;
  readonly brightness?: number;
  readonly sensorCode?: string;
  readonly graphHeight?: number;
}

export interface XmlRecord extends Timestamped {
  readonly kind: "xml";
  /** The document, without the NUL padding. */
  readonly xml: string;
}

export type ModelRecord =
  | EgvRecord
  | SensorRecord
  | MeterRecord
  | InsertionRecord
  | CalRecord
  | UserEventRecord
  | UserSettingsRecord
  | XmlRecord;

/** A record before it is stored: the partition assigns `index`. */
export type NewRecord<R extends ModelRecord = ModelRecord> = R extends ModelRecord ? Omit<R, "index"> : never;

export interface ModelPartition {
  readonly recordType: number;
  readonly name: string;
  readonly revision: number;
  readonly recordLength: number;
  readonly recordsPerPage: number;
  /** Inclusive page range, or undefined when the partition is empty (§4.6). */
  readonly range: { readonly firstPage: number; readonly lastPage: number } | undefined;
  /** The retained records, oldest first (older pages may have been dropped by wrap). */
  readonly records: readonly ModelRecord[];
}
