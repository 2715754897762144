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

/**
 * ttyACM2 before ttyACM10: runs of digits compare by value, everything else by code unit. Written
 * out rather than an `Intl.Collator`, whose ICU data would stay resident in the daemon (≈3 MiB).
 */
export function naturalCompare(a: string, b: string): number {
  const left = a.match(/\d+|\D+/g) ?? [];
  const right = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] as string;
    const y = right[i] as string;
    if (x === y) continue;
    if (isDigit(x) && isDigit(y)) {
      // By value without Number(): the runs may be longer than a double holds exactly.
      const xs = x.replace(/^0+(?=\d)/, "");
      const ys = y.replace(/^0+(?=\d)/, "");
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

const isDigit = (run: string): boolean => run.charCodeAt(0) >= 48 && run.charCodeAt(0) <= 57;

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
  for (const name of names.filter(matches).sort(naturalCompare)) {
    const path = join(folder, name);
    try {
      if ((await stat(path)).isCharacterDevice()) found.push(path);
    } catch {
      // a dangling link: the device just went away
    }
  }
  return found;
}
