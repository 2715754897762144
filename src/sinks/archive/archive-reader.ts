/**
 * Reading the archive back (the status page, `sharebridge history`): the day files from the one that
 * can hold the first reading asked for, line by line, each reading joined with its latest outcome.
 *
 * The files are untrusted like any input: lines are read in bounded pieces (a line longer than
 * MAX_LINE_BYTES is skipped without being held in memory), a file is read up to MAX_FILE_BYTES, and a
 * line that is not the archive's (a torn last line, a foreign one) is counted, never thrown on.
 * Readings come out in the order they were archived (per receiver: oldest first); a reading archived
 * twice appears once.
 */
import { open } from "node:fs/promises";
import type { SkipReason } from "../../readings/reading.js";
import type { ShareOutcome } from "../outcomes.js";
import { dayOf, listDayFiles } from "./archive-files.js";
import { decodeLine, laterOutcome, lineKey, MAX_LINE_BYTES, type ReadingLine } from "./archive-lines.js";

/** A day file is a few hundred kilobytes; past this it is not read further. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

export interface ArchivedReading {
  readonly serial: string;
  /** 4 EGV_DATA, 18 BACKFILLED_EGV_DATA. */
  readonly recordType: number;
  readonly index: number;
  readonly systemSeconds: number;
  /** True time, Unix ms; undefined when the record's time could not be represented. */
  readonly utcMs: number | undefined;
  /** The wearer's wall clock at the reading, as UTC-shaped ms (no zone); undefined likewise. */
  readonly displayMs: number | undefined;
  /** The glucose field as stored. */
  readonly storedGlucose: number;
  /** What it stands for, mg/dL; undefined for a sensor special code. */
  readonly mgdl: number | undefined;
  readonly trend: number;
  readonly skip: SkipReason | undefined;
  /** Share's answer, when it came (undefined: not yet, or it was lost to a crash before written). */
  readonly outcome: ShareOutcome | undefined;
  readonly fault: string | undefined;
  readonly outcomeAtMs: number | undefined;
}

export interface ArchiveRead {
  readonly readings: readonly ArchivedReading[];
  /** Lines that were not the archive's: a torn last line after a crash, damage. */
  readonly badLines: number;
}

export interface ArchiveQuery {
  /** Readings taken at or after this instant (true time, ms); readings without a time are left out. */
  readonly sinceMs: number;
  /** Only this receiver (any case). */
  readonly serial?: string | undefined;
}

/**
 * Calls `onLine` with every line of the file (without its newline), in bounded memory: a line longer
 * than `maxLineBytes` is dropped (`onLine` gets undefined for it) without being held whole.
 */
export async function forEachLine(
  path: string,
  onLine: (line: string | undefined) => void,
  options: { readonly maxLineBytes?: number; readonly maxBytes?: number } = {},
): Promise<void> {
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let overlong = false;
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, maxBytes - total), null);
      if (bytesRead === 0) break;
      total += bytesRead;
      let start = 0;
      for (;;) {
        const end = buffer.indexOf(0x0a, start);
        if (end === -1 || end >= bytesRead) break;
        if (overlong || pendingBytes + (end - start) > maxLine) onLine(undefined);
        else onLine(Buffer.concat([...pending, buffer.subarray(start, end)]).toString("utf8"));
        pending = [];
        pendingBytes = 0;
        overlong = false;
        start = end + 1;
      }
      const rest = bytesRead - start;
      if (!overlong && pendingBytes + rest <= maxLine) {
        pending.push(Buffer.from(buffer.subarray(start, bytesRead)));
        pendingBytes += rest;
      } else {
        overlong = true;
        pending = [];
        pendingBytes = 0;
      }
      if (total >= maxBytes) break;
    }
    // A last line without its newline: torn by a crash, or being written right now. Not a reading yet.
    if (overlong || pendingBytes > 0) onLine(undefined);
  } finally {
    await handle.close();
  }
}

interface Building {
  line: ReadingLine;
  outcome: ShareOutcome | undefined;
  fault: string | undefined;
  outcomeAtMs: number | undefined;
}

function parsedTime(text: string | null, wall: boolean): number | undefined {
  if (text === null) return undefined;
  const ms = Date.parse(wall ? `${text}Z` : text);
  return Number.isFinite(ms) ? ms : undefined;
}

function toArchived(b: Building): ArchivedReading {
  const { line } = b;
  return {
    serial: line.sn,
    recordType: line.rt,
    index: line.i,
    systemSeconds: line.sys,
    utcMs: parsedTime(line.wt, false),
    displayMs: parsedTime(line.dt, true),
    storedGlucose: line.g,
    mgdl: line.mgdl ?? undefined,
    trend: line.trend,
    skip: line.skip,
    outcome: b.outcome,
    fault: b.fault,
    outcomeAtMs: b.outcomeAtMs,
  };
}

/** The readings of `dir` (the archive directory) taken since `query.sinceMs`, with their outcomes. */
export async function readArchive(dir: string, query: ArchiveQuery): Promise<ArchiveRead> {
  const serial = query.serial?.toUpperCase();
  const firstDay = dayOf(Math.max(query.sinceMs, -8.64e15));
  const byKey = new Map<string, Building>();
  const early = new Map<string, Omit<Building, "line">>();
  let badLines = 0;
  for (const file of await listDayFiles(dir)) {
    if (file.day < firstDay) continue;
    try {
      await forEachLine(file.path, (text) => {
        const line = text === undefined ? undefined : decodeLine(text);
        if (line === undefined) {
          badLines++;
          return;
        }
        if (serial !== undefined && line.sn !== serial) return;
        const key = lineKey(line);
        if (line.t === "reading") {
          if (byKey.has(key)) return;
          const wt = parsedTime(line.wt, false);
          if (wt === undefined || wt < query.sinceMs) return;
          const before = early.get(key);
          early.delete(key);
          byKey.set(key, {
            line,
            outcome: before?.outcome,
            fault: before?.fault,
            outcomeAtMs: before?.outcomeAtMs,
          });
          return;
        }
        // An outcome may be written before its reading (Share answered first) or after it was cut.
        const target = byKey.get(key) ??
          early.get(key) ?? { outcome: undefined, fault: undefined, outcomeAtMs: undefined };
        target.outcome = laterOutcome(target.outcome, line.outcome);
        if (target.outcome === line.outcome) {
          target.fault = line.fault;
          target.outcomeAtMs = Date.parse(line.at);
        }
        if (!byKey.has(key)) early.set(key, target);
      });
    } catch (error) {
      // A day file deleted by the retention between listing and reading: nothing to read there.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return { readings: [...byKey.values()].map(toArchived), badLines };
}
