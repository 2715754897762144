/**
 * The durable state file (DESIGN.md §7): one JSON document in the state directory, written
 * atomically — temp file, fsync, rename over the old file, fsync the directory — so that a crash or
 * power cut at any instant leaves either the old or the new document, never a torn one.
 *
 * Reading is tolerant: a file that does not parse or does not validate is moved aside (kept for
 * inspection as `<name>.corrupt-<time>`), logged, and replaced by the caller's safe default. A file
 * from an older version is migrated by the caller's `parse`.
 *
 * The in-memory document changes only after its write succeeded: a failed write (full disk,
 * read-only file system) throws STATE_WRITE_FAILED and leaves the previous state in force, so no
 * progress is ever claimed that is not on disk.
 */
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";

export interface StateSchema<T> {
  /** Validates (and migrates) a parsed document; throws anything to reject it. */
  parse(document: unknown): T;
  /** The state to start from when there is no usable file. */
  empty(): T;
}

/** The state file's name inside the state directory. */
export const STATE_FILE_NAME = "state.json";

/** A state file is small (a few cursors); anything bigger is not ours. */
const MAX_STATE_BYTES = 1024 * 1024;

export class StateStore<T> {
  readonly file: string;
  readonly #dir: string;
  readonly #schema: StateSchema<T>;
  readonly #log: Logger;
  #current: T;
  /** Writes are serialised so two updates never race on the temp file. */
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, name: string, schema: StateSchema<T>, log: Logger, initial: T) {
    this.#dir = dir;
    this.file = join(dir, name);
    this.#schema = schema;
    this.#log = log;
    this.#current = initial;
  }

  /** Opens (creating the directory if needed) and loads the state file. */
  static async open<T>(
    dir: string,
    schema: StateSchema<T>,
    options: { name?: string; log?: Logger } = {},
  ): Promise<StateStore<T>> {
    const name = options.name ?? STATE_FILE_NAME;
    const log = (options.log ?? silentLogger).child({ component: "state" });
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new SharebridgeError(
        "STATE_WRITE_FAILED",
        `cannot create the state directory ${dir}`,
        { dir },
        { cause: error },
      );
    }
    const store = new StateStore(dir, name, schema, log, schema.empty());
    store.#current = await store.#load();
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
    let text: string;
    try {
      const handle = await open(this.file, "r");
      try {
        const { size } = await handle.stat();
        if (size > MAX_STATE_BYTES) return await this.#setAside(`larger than ${MAX_STATE_BYTES} bytes`);
        text = await handle.readFile("utf8");
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return this.#schema.empty();
      throw new SharebridgeError(
        "STATE_CORRUPT",
        `cannot read the state file ${this.file}`,
        { file: this.file },
        {
          cause: error,
        },
      );
    }
    try {
      return this.#schema.parse(JSON.parse(text));
    } catch (error) {
      return this.#setAside(error instanceof Error ? error.message : String(error));
    }
  }

  async #setAside(reason: string): Promise<T> {
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    try {
      await rename(this.file, aside);
    } catch {
      // If it cannot be moved it will be overwritten by the next write; the log line still says why.
    }
    this.#log.error(
      { file: this.file, keptAs: aside, reason },
      "state file unusable; kept a copy and starting from a safe default",
    );
    return this.#schema.empty();
  }

  async #write(state: T): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const temp = `${this.file}.tmp`;
    try {
      const handle = await open(temp, "w", 0o600);
      try {
        await handle.writeFile(text, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
      await syncDirectory(this.#dir);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new SharebridgeError(
        "STATE_WRITE_FAILED",
        `cannot write the state file ${this.file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
        { file: this.file, errno: (error as NodeJS.ErrnoException).code },
        { cause: error },
      );
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

/** Reads a whole state file for diagnostics (`status`), without repairing it. */
export async function readStateFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}
