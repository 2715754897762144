/**
 * The durable state file (DESIGN.md §7): one JSON document in the state directory, written
 * atomically — a temp file, fsync, rename over the old file, fsync the directory — so that a crash or
 * power cut at any instant leaves either the old or the new document, never a torn one.
 *
 * The directory is checked first (state-directory.ts): owned by this user (or written by root, whose
 * files are then given to the directory's owner, so `sudo sharebridge sync` never leaves a file the
 * service cannot read), and writable by nobody else.
 *
 * Nothing in the directory is trusted to be what its name says. The temp file has a fresh random name
 * and is created exclusively without following links, so a planted `state.json.<x>.tmp` link cannot
 * redirect a write. The state file is opened without following links, read up to a bound, and only
 * when it is a regular file.
 *
 * Reading is tolerant of what can be repaired, and only that: a file that is not JSON, not a state
 * document, too large, a link or not a regular file is moved aside (kept for inspection as
 * `<name>.corrupt-<time>`), logged with the line and column of the problem and never its contents, and
 * replaced by the caller's safe default. A file that cannot be *read* (EACCES, EIO) is left where it
 * is and reported as STATE_PERMISSION or STATE_READ_FAILED with its fix: it is not corrupt, and setting
 * it aside would throw away a good cursor. A file from an older version is migrated by `parse`.
 *
 * The in-memory document changes only after its write succeeded: a failed write throws
 * (STATE_WRITE_FAILED for a full or read-only disk, STATE_PERMISSION when not allowed) and leaves the
 * previous state in force, so no progress is ever claimed that is not on disk.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, lstat, open, readdir, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, systemClock } from "../clock.js";
import { describeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { describeJsonProblem, parseJsonText } from "../util/json-text.js";
import {
  errnoOf,
  ownerFix,
  type PreparedStateDirectory,
  type ProcessIdentity,
  prepareStateDirectory,
  processIdentity,
  stateFileError,
} from "./state-directory.js";

export interface StateSchema<T> {
  /**
   * Validates (and migrates) a parsed document; throws anything to reject it. The message is logged:
   * it must say what is wrong without quoting values from the document.
   */
  parse(document: unknown): T;
  /** The state to start from when there is no usable file. */
  empty(): T;
}

/** The state file's name inside the state directory. */
export const STATE_FILE_NAME = "state.json";

/** A state file is small (a few cursors); anything bigger is not ours. */
export const MAX_STATE_BYTES = 1024 * 1024;

/** A temp file older than this is a crash's leftover (a write takes milliseconds). */
const LEFTOVER_TEMP_AGE_MS = 10 * 60_000;

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates the temp file a write goes to: exclusively (fails if anything, a link included, has the
 * name), never following a link, mode 0600.
 */
export function openTemporaryExclusive(path: string): Promise<FileHandle> {
  return open(path, CREATE_FLAGS, 0o600);
}

export interface StateStoreOptions {
  /** The file's name in the directory. Default `state.json`. */
  readonly name?: string;
  readonly log?: Logger;
  /** Wall time for the name of a file set aside. Default: the system clock. */
  readonly clock?: Clock;
  /** Whom the kernel sees (tests). Default: this process's effective uid and gid. */
  readonly identity?: ProcessIdentity;
  /**
   * Opens a write's temp file. Default `openTemporaryExclusive`. Tests hand in the kernel's /dev/full
   * to meet a real ENOSPC.
   */
  readonly openTemporary?: (path: string) => Promise<FileHandle>;
}

/** What is at a state file's path, read without following links and within the size bound. */
export type StateFileRead =
  | { readonly kind: "absent" }
  | { readonly kind: "text"; readonly text: string }
  /** Not something sharebridge wrote: may be set aside. `reason` never quotes the file. */
  | { readonly kind: "foreign"; readonly reason: string }
  /** Could not be read (EACCES, EIO, …): must be left alone. */
  | { readonly kind: "failed"; readonly error: unknown };

function describeNonRegular(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }) {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO";
  if (info.isSocket()) return "a socket";
  return "a device or other special file";
}

/** Reads the state file's bytes safely: no links followed, regular files only, at most the bound. */
export async function readStateText(file: string): Promise<StateFileRead> {
  let handle: FileHandle;
  try {
    handle = await open(file, READ_FLAGS);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === "ENOENT") return { kind: "absent" };
    if (errno === "ELOOP") {
      return {
        kind: "foreign",
        reason: "a symbolic link (sharebridge follows no links in its state directory)",
      };
    }
    return { kind: "failed", error };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      return { kind: "foreign", reason: `not a regular file but ${describeNonRegular(info)}` };
    const tooLarge = { kind: "foreign", reason: `larger than ${MAX_STATE_BYTES} bytes` } as const;
    if (info.size > MAX_STATE_BYTES) return tooLarge;
    // Read until the end, but never past the bound, whatever the size said.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_STATE_BYTES) return tooLarge;
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return { kind: "text", text: Buffer.concat(chunks, total).toString("utf8") };
  } catch (error) {
    return { kind: "failed", error };
  } finally {
    await handle.close();
  }
}

/** Parses state text with a schema; the reason for a refusal names a place, never the contents. */
export async function parseStateText<T>(
  text: string,
  parse: (document: unknown) => T,
): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  const json = await parseJsonText(text);
  if (!json.ok) return { ok: false, reason: `not JSON: ${describeJsonProblem(json.problem)}` };
  try {
    return { ok: true, value: parse(json.value) };
  } catch (error) {
    const why = error instanceof Error ? describeError(error) : "rejected by its schema";
    return { ok: false, reason: why.slice(0, 200) };
  }
}

/** What a reader (status, doctor) finds in a state file, without changing anything. */
export type StateFileInspection<T> =
  | { readonly state: "ok"; readonly document: T }
  | { readonly state: "absent"; readonly problem: null }
  | { readonly state: "unreadable"; readonly problem: string }
  | { readonly state: "corrupt"; readonly problem: string };

/** Reads and validates a state file for diagnostics: no set-aside, no rewrite, no contents quoted. */
export async function inspectStateFile<T>(
  file: string,
  parse: (document: unknown) => T,
): Promise<StateFileInspection<T>> {
  const read = await readStateText(file);
  switch (read.kind) {
    case "absent":
      return { state: "absent", problem: null };
    case "failed":
      return { state: "unreadable", problem: `cannot read it (${errnoOf(read.error)})` };
    case "foreign":
      return { state: "corrupt", problem: read.reason };
    case "text": {
      const parsed = await parseStateText(read.text, parse);
      return parsed.ok
        ? { state: "ok", document: parsed.value }
        : { state: "corrupt", problem: parsed.reason };
    }
  }
}

export class StateStore<T> {
  readonly file: string;
  readonly #dir: PreparedStateDirectory;
  readonly #name: string;
  readonly #schema: StateSchema<T>;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #identity: ProcessIdentity;
  readonly #openTemporary: (path: string) => Promise<FileHandle>;
  #current: T;
  /** Writes are serialised so two updates never race on the file. */
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(
    dir: PreparedStateDirectory,
    name: string,
    schema: StateSchema<T>,
    options: StateStoreOptions,
  ) {
    this.#dir = dir;
    this.#name = name;
    this.file = join(dir.dir, name);
    this.#schema = schema;
    this.#log = (options.log ?? silentLogger).child({ component: "state" });
    this.#clock = options.clock ?? systemClock;
    this.#identity = options.identity ?? processIdentity();
    this.#openTemporary = options.openTemporary ?? openTemporaryExclusive;
    this.#current = schema.empty();
  }

  /**
   * Opens (creating the directory, mode 0700, if needed) and loads the state file. Throws
   * STATE_PERMISSION, STATE_READ_FAILED or STATE_WRITE_FAILED (each with `context.fix`) when the
   * directory or file may not or cannot be used; CONFIG_INVALID when stateDir is not a directory.
   */
  static async open<T>(
    dir: string,
    schema: StateSchema<T>,
    options: StateStoreOptions = {},
  ): Promise<StateStore<T>> {
    const prepared = await prepareStateDirectory(dir, options.identity ?? processIdentity());
    const store = new StateStore(prepared, options.name ?? STATE_FILE_NAME, schema, options);
    store.#current = await store.#load();
    await store.#removeLeftovers();
    return store;
  }

  /** The current state. Treat it as read-only; change it with `update`. */
  get current(): T {
    return this.#current;
  }

  /**
   * Computes the next state from the current one and makes it durable; the in-memory state switches
   * only when the write succeeded. Returns the new state.
   */
  update(change: (current: T) => T): Promise<T> {
    const run = this.#writing.then(async () => {
      const next = change(this.#current);
      await this.#write(next);
      this.#current = next;
      return next;
    });
    this.#writing = run.catch(() => undefined);
    return run;
  }

  async #load(): Promise<T> {
    const read = await readStateText(this.file);
    switch (read.kind) {
      case "absent":
        return this.#schema.empty();
      case "failed":
        throw stateFileError(
          "read the state file",
          this.file,
          read.error,
          this.#identity,
          ownerFix(this.file, this.#dir.dir),
        );
      case "foreign":
        return this.#setAside(read.reason);
      case "text": {
        const parsed = await parseStateText(read.text, (document) => this.#schema.parse(document));
        return parsed.ok ? parsed.value : this.#setAside(parsed.reason);
      }
    }
  }

  async #setAside(reason: string): Promise<T> {
    const stamp = new Date(this.#clock.now()).toISOString().replace(/[:.]/g, "-");
    const aside = `${this.file}.corrupt-${stamp}`;
    try {
      // rename acts on the entry itself: a link is moved, never its target.
      await rename(this.file, aside);
    } catch {
      // If it cannot be moved it is replaced by the next write; the log line still says why.
    }
    this.#log.error(
      { file: this.file, keptAs: aside, reason },
      "state file unusable; kept a copy and starting from a safe default",
    );
    return this.#schema.empty();
  }

  async #write(state: T): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const temp = join(this.#dir.dir, `${this.#name}.${randomBytes(8).toString("hex")}.tmp`);
    let handle: FileHandle | undefined;
    let created = false;
    try {
      handle = await this.#openTemporary(temp);
      created = true;
      const owner = this.#dir.ownerForNewFiles;
      if (owner !== undefined) await handle.chown(owner.uid, owner.gid);
      await handle.writeFile(text, "utf8");
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, this.file);
      created = false;
      await syncDirectory(this.#dir.dir);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      if (created) await unlink(temp).catch(() => undefined);
      throw stateFileError(
        "write the state file",
        this.file,
        error,
        this.#identity,
        `let uid ${this.#identity.uid} write to ${this.#dir.dir} (it must own it: sudo chown -R ${this.#identity.uid} ${this.#dir.dir})`,
      );
    }
  }

  /** Temp files of writes a crash interrupted (and the fixed name older versions used). */
  async #removeLeftovers(): Promise<void> {
    const pattern = new RegExp(`^${this.#name.replace(/\./g, "\\.")}\\.(?:[0-9a-f]{16}\\.)?tmp$`);
    let names: string[];
    try {
      names = await readdir(this.#dir.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!pattern.test(name)) continue;
      const path = join(this.#dir.dir, name);
      try {
        const info = await lstat(path);
        if (this.#clock.now() - info.mtimeMs > LEFTOVER_TEMP_AGE_MS) await rm(path, { force: true });
      } catch {
        // Gone already, or not ours to remove: harmless either way.
      }
    }
  }
}

/** fsync of the directory makes the rename itself durable (the entry points at the new inode). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a whole state file for diagnostics, without repairing it; undefined when it is not usable. */
export async function readStateFile(file: string): Promise<string | undefined> {
  const read = await readStateText(file);
  return read.kind === "text" ? read.text : undefined;
}
