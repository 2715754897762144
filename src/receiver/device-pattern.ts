/**
 * A device pattern (`device: /dev/ttyACM*`): the serial devices whose name matches, for a host with
 * several receivers where each instance picks its own by serial (receiver.serial). `*` stands for
 * any run of characters and `?` for one, in the last part of the path only; the folder is literal.
 * Only character devices match (a link to one counts), in natural order: ttyACM2 before ttyACM10.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SharebridgeError } from "../errors.js";

const WILDCARD = /[*?]/;

/** True when a `device` value is a pattern rather than a path. */
export function isDevicePattern(text: string): boolean {
  return WILDCARD.test(text);
}

/** The pattern's folder and a matcher for names in it; DEVICE_SPEC_INVALID for a wildcard in the folder. */
export function compileDevicePattern(pattern: string): { folder: string; matches(name: string): boolean } {
  const folder = dirname(pattern);
  if (WILDCARD.test(folder)) {
    throw new SharebridgeError(
      "DEVICE_SPEC_INVALID",
      "--device: a pattern may use * and ? in its last part only",
      { hint: "e.g. /dev/ttyACM* or /dev/serial/by-id/usb-DexCom*" },
    );
  }
  const source = basename(pattern)
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  const regex = new RegExp(`^${source}$`, "s");
  return { folder, matches: (name) => regex.test(name) };
}

const natural = new Intl.Collator("en", { numeric: true });

/** The character devices matching `pattern`, in natural order (none when the folder is missing). */
export async function expandDevicePattern(pattern: string): Promise<string[]> {
  const { folder, matches } = compileDevicePattern(pattern);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of names.filter(matches).sort(natural.compare)) {
    const path = join(folder, name);
    try {
      if ((await stat(path)).isCharacterDevice()) found.push(path);
    } catch {
      // a dangling link: the device just went away
    }
  }
  return found;
}
