/**
 * Share dates: epoch milliseconds wrapped in the Microsoft JSON date convention (share-api §1.5).
 *
 * Writing: `/Date(<ms>)/` with a whole number of seconds, which is what every uploader sends.
 * Reading: the server has used `/Date(ms)/`, `/Date(ms-0700)/`, `Date(ms)` and `Date(ms-0400)` over
 * the years, so parsing takes the first run of digits (optionally negative) as the instant and an
 * optional `±hhmm` right after it as the display offset, and requires nothing else.
 */

export interface ParsedShareDate {
  /** The instant, epoch milliseconds UTC. */
  readonly ms: number;
  /** The `±hhmm` suffix as minutes east of UTC, when present (share-api §1.5, §7.2 DT). */
  readonly offsetMinutes?: number;
}

/** No Share date is longer than this; anything longer is not a date and is refused unparsed. */
const MAX_DATE_TEXT = 64;
/** The ECMAScript date range: ±8.64e15 ms around the epoch. */
const MAX_ABS_MS = 8.64e15;

const DATE_PATTERN = /(-?\d+)([+-]\d{4})?/;

/** `/Date(<ms>)/` for an instant given in whole seconds (share-api §1.5 writing rule). */
export function formatShareDate(epochSeconds: number): string {
  return `/Date(${Math.floor(epochSeconds) * 1000})/`;
}

/** Parses any of the date forms the server has used; `undefined` when the text is not a date. */
export function parseShareDate(text: unknown): ParsedShareDate | undefined {
  if (typeof text !== "string" || text.length > MAX_DATE_TEXT) return undefined;
  const match = DATE_PATTERN.exec(text);
  if (match === null) return undefined;
  const ms = Number(match[1]);
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > MAX_ABS_MS) return undefined;
  const suffix = match[2];
  if (suffix === undefined) return { ms };
  const sign = suffix.startsWith("-") ? -1 : 1;
  const hours = Number(suffix.slice(1, 3));
  const minutes = Number(suffix.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  return { ms, offsetMinutes: sign * (hours * 60 + minutes) };
}

/** `±hhmm` for an offset in minutes east of UTC (the read response's DT suffix, share-api §7.2). */
export function formatOffsetSuffix(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(Math.trunc(offsetMinutes));
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${sign}${hh}${mm}`;
}
