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
