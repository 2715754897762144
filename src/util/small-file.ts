/**
 * Reading a small text file a user names (the configuration, a replay): a regular file, bounded in
 * size before it is read, every failure a typed error naming the file — never quoting its contents.
 */
import { open } from "node:fs/promises";
import { SharebridgeError } from "../errors.js";

export interface SmallFileOptions {
  /** The file as messages name it, e.g. "the configuration": "cannot read the configuration file …". */
  readonly name: string;
  /** Largest size read, bytes; a larger file is CONFIG_INVALID. */
  readonly maxBytes: number;
  /** What to do about it, per case (the errors' `fix`). */
  readonly fix?: {
    readonly notAFile?: string;
    readonly tooLarge?: string;
    readonly unreadable?: (errno: string) => string;
  };
}

/** The file's text (UTF-8). Throws CONFIG_UNREADABLE (missing, not a file, no access) or CONFIG_INVALID (too large). */
export async function readSmallTextFile(path: string, options: SmallFileOptions): Promise<string> {
  const { name, maxBytes, fix = {} } = options;
  const withFix = (text: string | undefined) => (text === undefined ? {} : { fix: text });
  try {
    const handle = await open(path, "r");
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        throw new SharebridgeError("CONFIG_UNREADABLE", `${name} ${path} is not a regular file`, {
          file: path,
          ...withFix(fix.notAFile),
        });
      }
      if (stat.size > maxBytes) {
        throw new SharebridgeError("CONFIG_INVALID", `${path} is larger than ${maxBytes} bytes`, {
          file: path,
          ...withFix(fix.tooLarge),
        });
      }
      return await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof SharebridgeError) throw error;
    const errno = (error as NodeJS.ErrnoException).code ?? "error";
    throw new SharebridgeError("CONFIG_UNREADABLE", `cannot read ${name} file ${path} (${errno})`, {
      file: path,
      errno,
      ...withFix(fix.unreadable?.(errno)),
    });
  }
}
