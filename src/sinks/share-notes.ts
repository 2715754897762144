/**
 * What the Share sink keeps in the state file besides its cursor (share-api §18.5, §18.7):
 *
 *   quarantine  readings Share keeps refusing for their content, with the fault, set aside so that
 *               they never stop the others; each is tried again at most once a day
 *   held        the first reading Share called future, and for how many cycles in a row: the cursor
 *               stays before it, and from the third cycle on it is reported as held
 *
 * The state file is read tolerantly (DESIGN.md §7): an entry that does not validate is dropped, the
 * list is bounded, and nothing here is a secret.
 */
import type { ShareEgv } from "../share/egv.js";

/** At most this many readings are kept in quarantine; the oldest go first. */
export const MAX_QUARANTINE = 500;
/** A quarantined reading is tried again at most this often (share-api §18.7: once a day). */
export const QUARANTINE_RETRY_MS = 24 * 3_600_000;
/** Cycles in a row with the same reading called future before it is reported as held (§18.5). */
export const HELD_AFTER_CYCLES = 3;

export interface QuarantinedReading {
  readonly recordType: number;
  readonly index: number;
  readonly egv: ShareEgv;
  /** Share's fault code (or the client's rule) that refused it; never a secret. */
  readonly fault: string;
  /** When it was first refused, and when it was last tried (true UTC, ms). */
  readonly sinceMs: number;
  readonly lastTriedMs: number;
}

export interface HeldReadings {
  /** Index of the first reading Share called future. */
  readonly firstIndex: number;
  /** Cycles in a row it was called future. */
  readonly cycles: number;
  readonly sinceMs: number;
}

export interface ShareNotes {
  readonly quarantine: readonly QuarantinedReading[];
  readonly held?: HeldReadings | undefined;
}

export const EMPTY_NOTES: ShareNotes = { quarantine: [] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function parseEgv(value: unknown): ShareEgv | undefined {
  if (!isObject(value)) return undefined;
  const { stSeconds, dtSeconds, taSeconds, glucose, trend } = value;
  if (![stSeconds, dtSeconds, taSeconds, glucose, trend].every(isInt)) return undefined;
  return {
    stSeconds: stSeconds as number,
    dtSeconds: dtSeconds as number,
    taSeconds: taSeconds as number,
    glucose: glucose as number,
    trend: trend as number,
  };
}

function parseEntry(value: unknown): QuarantinedReading | undefined {
  if (!isObject(value)) return undefined;
  const egv = parseEgv(value["egv"]);
  const { recordType, index, fault, sinceMs, lastTriedMs } = value;
  if (egv === undefined || !isInt(recordType) || !isInt(index) || !isNum(sinceMs) || !isNum(lastTriedMs))
    return undefined;
  if (typeof fault !== "string") return undefined;
  return { recordType, index, egv, fault: fault.slice(0, 100), sinceMs, lastTriedMs };
}

/** The notes from the state file, or empty ones; never throws. */
export function parseShareNotes(value: unknown): ShareNotes {
  if (!isObject(value)) return EMPTY_NOTES;
  const raw = Array.isArray(value["quarantine"]) ? value["quarantine"] : [];
  const quarantine = raw
    .slice(-MAX_QUARANTINE)
    .map(parseEntry)
    .filter((e): e is QuarantinedReading => e !== undefined);
  const held = value["held"];
  return {
    quarantine,
    held:
      isObject(held) && isInt(held["firstIndex"]) && isInt(held["cycles"]) && isNum(held["sinceMs"])
        ? { firstIndex: held["firstIndex"], cycles: held["cycles"], sinceMs: held["sinceMs"] }
        : undefined,
  };
}
