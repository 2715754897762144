/**
 * Model records → record bytes, one layout per (record type, revision) (spec receiver-protocol §5).
 * Written independently of the decoder in src/records/: the emulator is the reference the decoder is
 * tested against, so the two must not share layout code.
 *
 * Every record starts with u32 SystemTime, u32 DisplayTime (§5.0) and ends with the CRC-16 of all
 * its preceding bytes (§4.4). Unused bytes inside a record are 00. A record that does not fit its
 * layout (a value out of range, an unknown revision) is a bug in the generator: INTERNAL.
 */
import { SharebridgeError } from "../../errors.js";
import { writeTrailingCrc } from "../../wire/crc16.js";
import { RECORD_TYPE } from "../../wire/record-types.js";
import type {
  CalRecord,
  EgvRecord,
  InsertionRecord,
  MeterRecord,
  ModelRecord,
  NewRecord,
  SensorRecord,
  UserEventRecord,
  UserSettingsRecord,
  XmlRecord,
} from "./model.js";
import type { PartitionSpec } from "./profiles.js";

/** XML records carry 490 bytes of NUL-padded text between the timestamps and the CRC (§5.8). */
export const XML_TEXT_LENGTH = 490;
const CAL_SUBRECORD_LENGTH = 17;
const CAL_SUBRECORDS_OFFSET = 44;
/** Offset of the two trailing doubles of a rev-3 cal record (§5.5). */
const CAL_REV3_TRAILING_OFFSET = 231;

function invalid(why: string, context: Record<string, unknown>): never {
  throw new SharebridgeError("INTERNAL", `record encoder: ${why}`, context);
}

/** A fixed-length record under construction, with range-checked little-endian writes. */
class RecordWriter {
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
  }

  #check(field: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) {
      invalid(`${field} out of range`, { field, value, min, max });
    }
  }

  u8(offset: number, value: number, field: string): void {
    this.#check(field, value, 0, 0xff);
    this.#view.setUint8(offset, value);
  }

  i8(offset: number, value: number, field: string): void {
    this.#check(field, value, -0x80, 0x7f);
    this.#view.setInt8(offset, value);
  }

  u16(offset: number, value: number, field: string): void {
    this.#check(field, value, 0, 0xffff);
    this.#view.setUint16(offset, value, true);
  }

  u32(offset: number, value: number, field: string): void {
    this.#check(field, value, 0, 0xffff_ffff);
    this.#view.setUint32(offset, value, true);
  }

  i32(offset: number, value: number, field: string): void {
    this.#check(field, value, -0x8000_0000, 0x7fff_ffff);
    this.#view.setInt32(offset, value, true);
  }

  f64(offset: number, value: number): void {
    this.#view.setFloat64(offset, value, true);
  }

  /** ASCII text in exactly `width` bytes (shorter text is padded with NUL). */
  ascii(offset: number, text: string, width: number, field: string): void {
    if (text.length > width || !/^[\x20-\x7e]*$/.test(text)) {
      invalid(`${field} is not printable ASCII of at most ${width} bytes`, { field, text });
    }
    for (let i = 0; i < text.length; i++) this.bytes[offset + i] = text.charCodeAt(i);
  }

  timestamps(record: { systemSeconds: number; displaySeconds: number }): void {
    this.u32(0, record.systemSeconds, "systemSeconds");
    this.u32(4, record.displaySeconds, "displaySeconds");
  }

  finish(): Uint8Array {
    writeTrailingCrc(this.bytes, 0, this.bytes.length - 2);
    return this.bytes;
  }
}

/** The 32-symbol alphabet of the G4 transmitter id packing (§5.7): no I, O, V, Z. */
const G4_TRANSMITTER_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUWXY";

/** Packs a 5-character G4 transmitter id into 25 bits, first character most significant (§5.7). */
export function packG4TransmitterId(id: string): number {
  if (id.length !== 5) invalid("G4 transmitter id must have 5 characters", { id });
  let packed = 0;
  for (const char of id) {
    const symbol = G4_TRANSMITTER_ALPHABET.indexOf(char);
    if (symbol < 0) invalid("character outside the G4 transmitter alphabet", { id, char });
    packed = packed * 32 + symbol;
  }
  return packed;
}

export const G4_TRANSMITTER_ID_ALPHABET = G4_TRANSMITTER_ALPHABET;

function expectLength(spec: PartitionSpec, length: number): void {
  if (spec.recordLength !== length) {
    invalid("partition record length does not match the layout of its revision", {
      recordType: spec.id,
      revision: spec.revision,
      recordLength: spec.recordLength,
      layoutLength: length,
    });
  }
}

/** EGV_DATA and BACKFILLED_EGV_DATA (§5.1): 13 bytes (rev 1–3), 23 (rev 4), 25 (rev 5). */
function encodeEgv(spec: PartitionSpec, r: NewRecord<EgvRecord>): Uint8Array {
  const rev = spec.revision;
  const length = rev <= 3 ? 13 : rev === 4 ? 23 : rev === 5 ? 25 : invalid("EGV revision", { rev });
  expectLength(spec, length);
  const w = new RecordWriter(length);
  w.timestamps(r);
  if (r.glucose < 0 || r.glucose > 0x3ff) invalid("glucose value exceeds 10 bits", { glucose: r.glucose });
  const word =
    r.glucose |
    (r.displayOnly ? 0x8000 : 0) |
    (r.computedOnTransmitter === true ? 0x4000 : 0) |
    (r.backfilled === true ? 0x2000 : 0);
  w.u16(8, word, "glucose word");
  if (r.trend > 0x0f || r.noise > 0x07)
    invalid("trend or noise out of range", { trend: r.trend, noise: r.noise });
  const trendNoise = r.trend | (r.noise << 4);
  if (rev <= 3) {
    w.u8(10, trendNoise, "trend/noise");
    return w.finish();
  }
  w.u32(
    10,
    r.readingSystemSeconds ?? invalid("rev ≥ 4 EGV needs readingSystemSeconds", {}),
    "readingSystemSeconds",
  );
  w.u32(
    14,
    r.transmitterSeconds ?? invalid("rev ≥ 4 EGV needs transmitterSeconds", {}),
    "transmitterSeconds",
  );
  w.i8(18, r.filteredRate ?? 0, "filteredRate");
  w.u8(19, trendNoise, "trend/noise");
  w.u8(20, r.algorithmState ?? 0, "algorithmState");
  if (rev === 5) {
    const predicted = r.predictedGlucose ?? 13;
    if (predicted < 0 || predicted > 0x3ff) invalid("predicted glucose exceeds 10 bits", { predicted });
    w.u16(
      21,
      predicted | (r.urgentLowSoon === true ? 0x8000 : 0) | (r.backfilled === true ? 0x2000 : 0),
      "predicted word",
    );
  }
  return w.finish();
}

/** SENSOR_DATA (§5.2), rev 1, 20 bytes. */
function encodeSensor(spec: PartitionSpec, r: NewRecord<SensorRecord>): Uint8Array {
  expectLength(spec, 20);
  const w = new RecordWriter(20);
  w.timestamps(r);
  w.u32(8, r.unfiltered, "unfiltered");
  w.u32(12, r.filtered, "filtered");
  w.u16(16, r.rssi, "rssi");
  return w.finish();
}

/** METER_DATA (§5.3): 16 bytes (rev 1–2), 21 bytes (rev 3, meter time at offset 11 per §9.1). */
function encodeMeter(spec: PartitionSpec, r: NewRecord<MeterRecord>): Uint8Array {
  const rev3 = spec.revision >= 3;
  expectLength(spec, rev3 ? 21 : 16);
  const w = new RecordWriter(rev3 ? 21 : 16);
  w.timestamps(r);
  w.u16(8, r.meterGlucose, "meterGlucose");
  if (!rev3) {
    w.u32(10, r.meterSeconds, "meterSeconds");
    return w.finish();
  }
  w.u8(10, r.entryType ?? 0, "entryType");
  w.u32(11, r.meterSeconds, "meterSeconds");
  w.u32(15, r.meterTransmitterSeconds ?? 0xffff_ffff, "meterTransmitterSeconds");
  return w.finish();
}

/** INSERTION_TIME (§5.4): 15 bytes (rev 1), 25 bytes (rev ≥ 2). */
function encodeInsertion(spec: PartitionSpec, r: NewRecord<InsertionRecord>): Uint8Array {
  const rev2 = spec.revision >= 2;
  expectLength(spec, rev2 ? 25 : 15);
  const w = new RecordWriter(rev2 ? 25 : 15);
  w.timestamps(r);
  w.u32(8, r.insertionSeconds ?? 0xffff_ffff, "insertionSeconds");
  w.u8(12, r.state, "state");
  if (rev2) {
    w.u32(13, r.number ?? 0, "number");
    w.ascii(17, r.transmitterId ?? "", 6, "transmitterId");
  }
  return w.finish();
}

/** CAL_SET (§5.5): 148 bytes (rev ≤ 2, up to 6 sub-records), 249 bytes (rev 3, up to 11). */
function encodeCal(spec: PartitionSpec, r: NewRecord<CalRecord>): Uint8Array {
  const rev3 = spec.revision >= 3;
  const length = rev3 ? 249 : 148;
  expectLength(spec, length);
  const end = rev3 ? CAL_REV3_TRAILING_OFFSET : length - 2;
  const capacity = Math.floor((end - CAL_SUBRECORDS_OFFSET) / CAL_SUBRECORD_LENGTH);
  if (r.subrecords.length > capacity) {
    invalid("too many calibration sub-records", { count: r.subrecords.length, capacity });
  }
  const w = new RecordWriter(length);
  w.timestamps(r);
  w.f64(8, r.slope);
  w.f64(16, r.intercept);
  w.f64(24, r.scale);
  r.unknownBytes.forEach((byte, i) => {
    w.u8(32 + i, byte, "unknownBytes");
  });
  w.f64(35, r.decay);
  w.u8(43, r.subrecords.length, "subrecord count");
  r.subrecords.forEach((s, i) => {
    const at = CAL_SUBRECORDS_OFFSET + i * CAL_SUBRECORD_LENGTH;
    w.u32(at, s.enteredSeconds, "enteredSeconds");
    w.u32(at + 4, s.meterGlucose, "meterGlucose");
    w.u32(at + 8, s.rawCounts, "rawCounts");
    w.u32(at + 12, s.appliedSeconds, "appliedSeconds");
    w.u8(at + 16, s.unknown, "subrecord unknown");
  });
  if (rev3) {
    const [a, b] = r.trailing ?? invalid("rev 3 cal record needs its trailing doubles", {});
    w.f64(CAL_REV3_TRAILING_OFFSET, a);
    w.f64(CAL_REV3_TRAILING_OFFSET + 8, b);
  }
  return w.finish();
}

/** USER_EVENT_DATA (§5.6), rev 1, 20 bytes. */
function encodeEvent(spec: PartitionSpec, r: NewRecord<UserEventRecord>): Uint8Array {
  expectLength(spec, 20);
  const w = new RecordWriter(20);
  w.timestamps(r);
  w.u8(8, r.eventType, "eventType");
  w.u8(9, r.eventSubType, "eventSubType");
  w.u32(10, r.eventSeconds, "eventSeconds");
  w.u32(14, r.value, "value");
  return w.finish();
}

/** The eight u16 alarm/language fields shared by every settings revision (§5.7). */
function writeAlarmFields(w: RecordWriter, at: number, r: NewRecord<UserSettingsRecord>): void {
  w.u16(at, r.highAlarmLevel, "highAlarmLevel");
  w.u16(at + 2, r.highAlarmSnooze, "highAlarmSnooze");
  w.u16(at + 4, r.lowAlarmLevel, "lowAlarmLevel");
  w.u16(at + 6, r.lowAlarmSnooze, "lowAlarmSnooze");
  w.u16(at + 8, r.riseRate, "riseRate");
  w.u16(at + 10, r.fallRate, "fallRate");
  w.u16(at + 12, r.outOfRangeSnooze, "outOfRangeSnooze");
  w.u16(at + 14, r.language, "language");
  w.u8(at + 16, r.alarmProfile, "alarmProfile");
  w.u8(at + 17, r.setupState, "setupState");
}

/** USER_SETTING_DATA (§5.7): rev 3 (48 bytes, G4), rev 5 (50), rev 6 (60). */
function encodeSettings(spec: PartitionSpec, r: NewRecord<UserSettingsRecord>): Uint8Array {
  const rev = spec.revision;
  const length = rev === 5 ? 50 : rev === 6 ? 60 : 48;
  expectLength(spec, length);
  const w = new RecordWriter(length);
  w.timestamps(r);
  if (length === 48) {
    w.u32(8, r.systemTimeOffset, "systemTimeOffset");
    w.i32(12, r.displayTimeOffset, "displayTimeOffset");
    w.u32(16, packG4TransmitterId(r.transmitterId), "transmitterId");
    w.u32(20, r.enableFlags, "enableFlags");
    writeAlarmFields(w, 24, r);
    // Offset 42: u32 unknown (TP mislabels it crc), left 0.
    return w.finish();
  }
  w.i32(8, r.systemTimeOffset, "systemTimeOffset");
  w.i32(12, r.displayTimeOffset, "displayTimeOffset");
  w.ascii(16, r.transmitterId, 6, "transmitterId");
  w.u32(22, r.enableFlags, "enableFlags");
  writeAlarmFields(w, 26, r);
  if (rev === 6) {
    w.u16(44, r.urgentLowSoonSnooze ?? 0, "urgentLowSoonSnooze");
    w.u8(46, r.brightness ?? 0, "brightness");
    w.ascii(47, r.sensorCode ?? "", 4, "sensorCode");
    w.u8(52, r.graphHeight ?? 0, "graphHeight");
  }
  return w.finish();
}

/** XML records (§5.8): 490 bytes of ASCII, NUL-padded. */
function encodeXml(spec: PartitionSpec, r: NewRecord<XmlRecord>): Uint8Array {
  expectLength(spec, 500);
  const w = new RecordWriter(500);
  w.timestamps(r);
  w.ascii(8, r.xml, XML_TEXT_LENGTH, "xml");
  return w.finish();
}

/** Encodes `record` with the layout of the partition it is stored in. */
export function encodeRecord(spec: PartitionSpec, record: NewRecord | ModelRecord): Uint8Array {
  switch (record.kind) {
    case "egv":
      return encodeEgv(spec, record);
    case "sensor":
      return encodeSensor(spec, record);
    case "meter":
      return encodeMeter(spec, record);
    case "insertion":
      return encodeInsertion(spec, record);
    case "cal":
      return encodeCal(spec, record);
    case "event":
      return encodeEvent(spec, record);
    case "settings":
      return encodeSettings(spec, record);
    case "xml":
      return encodeXml(spec, record);
  }
}

/** Which record kind each partition holds (types without a known layout hold none). */
export const KIND_BY_RECORD_TYPE: Readonly<Record<number, ModelRecord["kind"]>> = {
  [RECORD_TYPE.MANUFACTURING_DATA]: "xml",
  [RECORD_TYPE.FIRMWARE_PARAMETER_DATA]: "xml",
  [RECORD_TYPE.PC_SOFTWARE_PARAMETER]: "xml",
  [RECORD_TYPE.SENSOR_DATA]: "sensor",
  [RECORD_TYPE.EGV_DATA]: "egv",
  [RECORD_TYPE.CAL_SET]: "cal",
  [RECORD_TYPE.INSERTION_TIME]: "insertion",
  [RECORD_TYPE.METER_DATA]: "meter",
  [RECORD_TYPE.USER_EVENT_DATA]: "event",
  [RECORD_TYPE.USER_SETTING_DATA]: "settings",
  [RECORD_TYPE.BACKFILLED_EGV_DATA]: "egv",
};
