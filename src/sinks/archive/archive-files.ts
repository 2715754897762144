/**
 * The archive on disk: one file per UTC day of writing, `archive/2026-03-10.jsonl`, in the state
 * directory. Why by day of writing (not of the reading):
 *
 * - Only today's file is ever appended to (an outcome of yesterday's reading too), so the bound is
 *   kept by deleting whole old files: no file is ever rewritten or compacted (SD cards wear by
 *   erase block, and a rewrite is where a crash could lose what was already kept).
 * - A reading is written after it was taken, so every reading taken since T is in the files of
 *   day(T) and later: the page reads one or two files, `history --since` a few.
 *
 * Appends: the whole batch in one write, then fdatasync, then (and only then) the sink's cursor
 * moves. A crash in the middle of a write leaves a torn last line; before this process first
 * appends to a file it checks the file's last byte, and closes a torn line with a newline, so the
 * torn line stays one damaged line (skipped by readers) and never swallows the next good one.
 */
import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fail } from "../../errors.js";

const DAY_MS = 86_400_000;
const DAY_FILE = /^(\d{4}-\d\d-\d\d)\.jsonl$/;

/** The archive's directory inside the state directory. */
export const ARCHIVE_DIR_NAME = "archive";

/** The UTC day of an instant: "2026-03-10". */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface DayFile {
  readonly day: string;
  readonly path: string;
}

/** The day files, oldest first; none when the directory does not exist yet. */
export async function listDayFiles(dir: string): Promise<DayFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: DayFile[] = [];
  for (const name of names) {
    const day = DAY_FILE.exec(name)?.[1];
    if (day !== undefined && Number.isFinite(Date.parse(day))) files.push({ day, path: join(dir, name) });
  }
  return files.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/**
 * The first day file kept at `nowMs`: the one holding the instant `retentionDays` ago, so at least
 * that many days are kept, and at most one day more (readers cut at the exact instant).
 */
export function firstKeptDay(nowMs: number, retentionDays: number): string {
  return dayOf(nowMs - retentionDays * DAY_MS);
}

/** Deletes the day files before `firstDay`; returns their days. */
export async function pruneDayFiles(dir: string, firstDay: string): Promise<string[]> {
  const removed: string[] = [];
  for (const file of await listDayFiles(dir)) {
    if (file.day >= firstDay) break;
    await unlink(file.path);
    removed.push(file.day);
  }
  return removed;
}

const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

export interface AppendOptions {
  /** Set when root writes into the service user's directory: new files are given to that user. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
}

/**
 * Appends to day files: one open, one write, one fdatasync, one close per batch. Not safe for two
 * appends at once on the same file: the sink serialises them.
 */
export class DayFileAppender {
  readonly #dir: string;
  readonly #owner: AppendOptions["owner"];
  /** Files whose end this process has checked for a torn line (and owns every write to since). */
  readonly #checked = new Set<string>();
  #madeDir = false;

  constructor(dir: string, options: AppendOptions = {}) {
    this.#dir = dir;
    this.#owner = options.owner;
  }

  /** Appends `text` (whole lines) to the file of `day`, durably. Throws the file system's error. */
  async append(day: string, text: string): Promise<void> {
    const path = join(this.#dir, `${day}.jsonl`);
    let handle: FileHandle | undefined;
    try {
      if (!this.#madeDir) {
        // Normally there already (the composition root prepares it); gone if someone removed it.
        await mkdir(this.#dir, { recursive: true, mode: 0o700 });
        this.#madeDir = true;
      }
      handle = await open(path, APPEND_FLAGS, 0o600);
      let prefix = "";
      if (!this.#checked.has(path)) {
        const { size } = await handle.stat();
        if (size > 0) {
          const last = Buffer.alloc(1);
          await handle.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) prefix = "\n";
        }
        if (this.#owner !== undefined) await handle.chown(this.#owner.uid, this.#owner.gid);
      }
      const bytes = Buffer.from(prefix + text, "utf8");
      const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
      if (bytesWritten !== bytes.length) {
        fail("STATE_WRITE_FAILED", `short write to ${path}`, { path, bytesWritten, bytes: bytes.length });
      }
      await handle.datasync();
      this.#checked.add(path);
    } catch (error) {
      // What the file ends with is unknown now: check again before the next append.
      this.#checked.delete(path);
      this.#madeDir = false;
      throw error;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}
