/**
 * The archive's lines: JSON, one object per line (JSON Lines), readable without sharebridge
 * (`jq`, a spreadsheet after `sharebridge history --format csv`). Two kinds, told apart by `t`:
 *
 *   {"t":"reading","sn":"SM12345678","rt":4,"i":4711,"sys":512345678,"wt":"2026-03-10T14:31:00Z",
 *    "dt":"2026-03-10T15:31:00","g":123,"mgdl":123,"trend":4}
 *   {"t":"outcome","sn":"SM12345678","rt":4,"i":4711,"sys":512345678,"outcome":"stored",
 *    "at":"2026-03-10T14:31:01Z"}
 *
 * Fields (every reading line has all of them but `skip`; times are ISO 8601):
 *
 *   t        "reading" when it was read from the receiver, "outcome" when Share's answer came
 *   sn       the receiver's serial (upper case)
 *   rt       the partition: 4 EGV_DATA, 18 BACKFILLED_EGV_DATA (receiver-protocol §4)
 *   i        the record's global index (with sn and rt its identity, receiver-protocol §4.5)
 *   sys      the record's system time, receiver seconds (tells a refilled database's index apart)
 *   wt       the true time of the reading, UTC (null when the record's times cannot be represented)
 *   dt       the wearer's wall clock at the reading (the receiver's display time, no zone), or null
 *   g        the glucose field as stored (mg/dL, or a sensor special code below 20)
 *   mgdl     what it stands for, mg/dL (LOW 39, HIGH 401), or null for a special code
 *   trend    the receiver's trend code, 0–9 (receiver-protocol §5.1)
 *   skip     why it was never posted (display-only, special, out-of-window, …); absent when postable
 *   outcome  stored, duplicate, held, quarantined or skipped (sinks/outcomes.ts)
 *   fault    Share's fault code, for a quarantined reading
 *   at       when Share answered, UTC
 *
 * A reading's outcome comes later than the reading, often much later (Share down for hours), so it
 * is a line of its own: the archive is only ever appended to. The latest outcome line of a reading
 * is its outcome (a reading held as "future" and later stored reads "stored"), except that
 * "duplicate" never hides an earlier "stored" (a re-post after a restart).
 *
 * Reading a line never throws: a torn last line (a crash in the middle of a write), a foreign or
 * damaged line, or one longer than MAX_LINE_BYTES is skipped and counted.
 */
import { type Reading, SKIP_REASONS, type SkipReason } from "../../readings/reading.js";
import type { ShareOutcome } from "../outcomes.js";

/** Lines longer than this are not the archive's (a reading line is about 180 bytes). */
export const MAX_LINE_BYTES = 1024;

const OUTCOMES: readonly ShareOutcome[] = ["stored", "duplicate", "held", "quarantined", "skipped"];

export interface ReadingLine {
  readonly t: "reading";
  readonly sn: string;
  readonly rt: number;
  readonly i: number;
  readonly sys: number;
  readonly wt: string | null;
  readonly dt: string | null;
  readonly g: number;
  readonly mgdl: number | null;
  readonly trend: number;
  readonly skip?: SkipReason;
}

export interface OutcomeLine {
  readonly t: "outcome";
  readonly sn: string;
  readonly rt: number;
  readonly i: number;
  readonly sys: number;
  readonly outcome: ShareOutcome;
  readonly fault?: string;
  readonly at: string;
}

export type ArchiveLine = ReadingLine | OutcomeLine;

/** A reading's identity in the archive: serial, partition, index and system time. */
export function lineKey(line: { sn: string; rt: number; i: number; sys: number }): string {
  return `${line.sn}/${line.rt}/${line.i}/${line.sys}`;
}

/** The identity of a reading from `serial`, as `lineKey` spells it. */
export function readingKey(serial: string, reading: Reading): string {
  return `${serial.toUpperCase()}/${reading.recordType}/${reading.index}/${reading.systemSeconds}`;
}

/** A UTC instant, whole seconds written without the milliseconds: "2026-03-10T14:31:00Z". */
export function utcText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, 19)}Z` : iso;
}

/** A wall-clock time with no zone (display time is "UTC-shaped" local time): "2026-03-10T15:31:00". */
function wallText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? iso.slice(0, 19) : iso.slice(0, 23);
}

export function readingLine(serial: string, reading: Reading): ReadingLine {
  return {
    t: "reading",
    sn: serial.toUpperCase(),
    rt: reading.recordType,
    i: reading.index,
    sys: reading.systemSeconds,
    wt: reading.times === undefined ? null : utcText(reading.times.wtMs),
    dt: reading.times === undefined ? null : wallText(reading.times.dtMs),
    g: reading.storedGlucose,
    mgdl: reading.glucose ?? null,
    trend: reading.trend,
    ...(reading.skip === undefined ? {} : { skip: reading.skip }),
  };
}

export function outcomeLine(
  serial: string,
  reading: Reading,
  outcome: ShareOutcome,
  atMs: number,
  fault?: string,
): OutcomeLine {
  return {
    t: "outcome",
    sn: serial.toUpperCase(),
    rt: reading.recordType,
    i: reading.index,
    sys: reading.systemSeconds,
    outcome,
    // Share's fault codes are short identifiers; anything else is cut and cleaned.
    ...(fault === undefined ? {} : { fault: fault.replace(/[^\w.-]/g, "?").slice(0, 80) }),
    at: utcText(atMs),
  };
}

/** One line of text (with its newline). */
export function encodeLine(line: ArchiveLine): string {
  return `${JSON.stringify(line)}\n`;
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
const SERIAL = /^[A-Z0-9-]{1,32}$/;
const UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z$/;
const WALL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?$/;

function timeOrNull(value: unknown, shape: RegExp): string | null | undefined {
  if (value === null) return null;
  return typeof value === "string" && shape.test(value) && Number.isFinite(Date.parse(value))
    ? value
    : undefined;
}

/** A line of text (without its newline) as an archive line, or undefined when it is not one. */
export function decodeLine(text: string): ArchiveLine | undefined {
  if (text.length === 0 || text.length > MAX_LINE_BYTES || text.charCodeAt(0) !== 0x7b) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  const { sn, rt, i, sys } = o;
  if (typeof sn !== "string" || !SERIAL.test(sn) || !isInt(rt, 0, 255) || !isInt(i, 0, 2 ** 32))
    return undefined;
  if (!isInt(sys, -(2 ** 32), 2 ** 32)) return undefined;
  const identity = { sn, rt, i, sys };
  if (o["t"] === "reading") {
    const wt = timeOrNull(o["wt"], UTC);
    const dt = timeOrNull(o["dt"], WALL);
    const { g, mgdl, trend, skip } = o;
    if (wt === undefined || dt === undefined || !isInt(g, 0, 1023) || !isInt(trend, 0, 15)) return undefined;
    if (mgdl !== null && !isInt(mgdl, 0, 1023)) return undefined;
    if (skip !== undefined && !(SKIP_REASONS as readonly unknown[]).includes(skip)) return undefined;
    return {
      t: "reading",
      ...identity,
      wt,
      dt,
      g,
      mgdl,
      trend,
      ...(skip === undefined ? {} : { skip: skip as SkipReason }),
    };
  }
  if (o["t"] === "outcome") {
    const at = timeOrNull(o["at"], UTC);
    const { outcome, fault } = o;
    if (typeof at !== "string" || !(OUTCOMES as readonly unknown[]).includes(outcome)) return undefined;
    if (fault !== undefined && (typeof fault !== "string" || !/^[\w.?-]{0,80}$/.test(fault)))
      return undefined;
    return {
      t: "outcome",
      ...identity,
      outcome: outcome as ShareOutcome,
      ...(fault === undefined ? {} : { fault }),
      at,
    };
  }
  return undefined;
}

/** Which outcome stands when a reading has two: the later one, but "duplicate" never hides "stored". */
export function laterOutcome(earlier: ShareOutcome | undefined, later: ShareOutcome): ShareOutcome {
  return earlier === "stored" && later === "duplicate" ? "stored" : later;
}
