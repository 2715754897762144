/**
 * Data output shared by the commands that print rows (`receiver records`, `history`): one JSON object
 * per line, or CSV with a header; and the `--since ISO` option they share.
 */
import { SharebridgeError } from "../errors.js";

export type Row = Record<string, unknown>;

export function jsonLine(row: Row): string {
  return `${JSON.stringify(row)}\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV: a header row from the first row's keys (every row of a type has the same keys), then rows. */
export function csvLines(rows: readonly Row[]): string[] {
  const [first] = rows;
  if (first === undefined) return [];
  const keys = Object.keys(first);
  return [`${keys.join(",")}\n`, ...rows.map((row) => `${keys.map((key) => csvCell(row[key])).join(",")}\n`)];
}

/** `--since ISO`: an ISO date or time, as Unix ms; undefined when absent. */
export function parseSince(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new SharebridgeError("USAGE", "--since must be an ISO date or time, e.g. 2024-05-01T08:00Z", {
      value: String(value),
    });
  }
  return ms;
}
