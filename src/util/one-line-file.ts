/**
 * One-line secret files (the Share password, the status page's token): read bounded, checked, and
 * never quoted in an error.
 */
import { open } from "node:fs/promises";
import { fail } from "../errors.js";

/** Secret files are tiny; anything larger is the wrong file. */
const MAX_SECRET_FILE_BYTES = 4096;

/**
 * Reads a one-line secret file (`what`: "password file", "token file"): the whole content minus one
 * trailing newline (`\n` or `\r\n`, what `echo` and editors add). Other whitespace is kept, because it
 * may be part of the secret. Messages name the file, never its content.
 */
export async function readOneLineFile(path: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    // Read at most one byte past the limit, so /dev/zero or a log file cannot exhaust memory.
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled === buffer.length) break;
      }
      bytes = buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown";
    if (code === "EACCES" || code === "EPERM") {
      // Name who must be able to read it: in a container that is the image's user, not the host's.
      const uid = process.geteuid?.() ?? -1;
      return fail(
        "CONFIG_UNREADABLE",
        `cannot read the ${what} ${path} (${code}): uid ${uid} must be able to read it`,
        {
          path,
          errno: code,
          uid,
          fix: `give it to uid ${uid}: sudo chown ${uid} ${path} && sudo chmod 0400 ${path} (in a container: the host file mounted there)`,
        },
      );
    }
    return fail("CONFIG_UNREADABLE", `cannot read the ${what} ${path} (${code})`, {
      path,
      errno: code,
    });
  }
  if (bytes.length > MAX_SECRET_FILE_BYTES) {
    fail("CONFIG_INVALID", `the ${what} ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes`, {
      path,
    });
  }
  let text = bytes.toString("utf8");
  if (text.endsWith("\r\n")) text = text.slice(0, -2);
  else if (text.endsWith("\n")) text = text.slice(0, -1);
  if (text === "") fail("CONFIG_INVALID", `the ${what} ${path} is empty`, { path });
  if (/[\r\n]/.test(text)) fail("CONFIG_INVALID", `the ${what} ${path} has more than one line`, { path });
  return text;
}
