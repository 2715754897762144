/**
 * Record-type names on the command line (`--type egv`, …) → partition ids (spec §4.2); the names are
 * the wire module's record-type table.
 */
import { SharebridgeError } from "../errors.js";
import { RECORD_TYPE_OPTIONS, type RecordTypeOption } from "../wire/record-types.js";

export { RECORD_TYPE_OPTIONS, type RecordTypeOption };

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
