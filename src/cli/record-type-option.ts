/**
 * Record-type names on the command line (`--type egv`, …) → partition ids (spec §4.2).
 */
import { SharebridgeError } from "../errors.js";
import { RECORD_TYPE } from "../records/record-types.js";

export const RECORD_TYPE_OPTIONS = {
  manufacturing: RECORD_TYPE.MANUFACTURING_DATA,
  firmware: RECORD_TYPE.FIRMWARE_PARAMETER_DATA,
  pc: RECORD_TYPE.PC_SOFTWARE_PARAMETER,
  sensor: RECORD_TYPE.SENSOR_DATA,
  egv: RECORD_TYPE.EGV_DATA,
  cal: RECORD_TYPE.CAL_SET,
  insertion: RECORD_TYPE.INSERTION_TIME,
  meter: RECORD_TYPE.METER_DATA,
  events: RECORD_TYPE.USER_EVENT_DATA,
  settings: RECORD_TYPE.USER_SETTING_DATA,
  backfill: RECORD_TYPE.BACKFILLED_EGV_DATA,
} as const;

export type RecordTypeOption = keyof typeof RECORD_TYPE_OPTIONS;

export function parseRecordTypeOption(
  value: unknown,
  allowed: readonly RecordTypeOption[],
): RecordTypeOption {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new SharebridgeError("USAGE", `--type must be one of ${allowed.join("|")}`, {
      value: String(value),
    });
  }
  return value as RecordTypeOption;
}

/** Parses a non-negative integer option (page numbers, counts); undefined when absent. */
export function parseCountOption(values: Record<string, unknown>, name: string, min = 0): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === "string" && /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > 0xfffffffe) {
    throw new SharebridgeError("USAGE", `--${name} must be an integer ≥ ${min}`, {
      option: name,
      value: String(raw),
    });
  }
  return value;
}
