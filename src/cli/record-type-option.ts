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
