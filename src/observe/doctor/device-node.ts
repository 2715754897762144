/**
 * What a configured device path is, for doctor: a serial tty (what the receiver is), another
 * character device (/dev/null), a regular file, a directory. A tty is recognised the way the
 * kernel files it: its major:minor under /sys/dev/char belongs to the `tty` subsystem; without
 * sysfs (some containers), by the majors serial drivers use.
 */
import { constants } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";

export interface DeviceNode {
  /** `serial`: a tty; `character device`: any other one (/dev/null); then file, directory, other. */
  readonly kind: "serial" | "character device" | "file" | "directory" | "other";
  /** The path with symbolic links resolved (/dev/serial/by-id/… → /dev/ttyACM0). */
  readonly node: string;
  readonly uid: number;
  readonly gid: number;
  /** st_mode: type and permission bits. */
  readonly mode: number;
}

/**
 * Majors of serial ttys (Documentation/admin-guide/devices.txt): 4 ttyS, 5 tty/console/ptmx,
 * 136–143 pts, 166 ttyACM, 188 ttyUSB, 204 low-density serial.
 */
const TTY_MAJORS = new Set([4, 5, 136, 137, 138, 139, 140, 141, 142, 143, 166, 188, 204]);

/** Linux's dev_t encoding (glibc gnu_dev_major/minor), for the values a Number holds. */
export function majorMinor(rdev: number): { major: number; minor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev % 2 ** 32;
  return {
    major: ((low >>> 8) & 0xfff) | ((high & ~0xfff) >>> 0),
    minor: (low & 0xff) | ((low >>> 12) & ~0xff),
  };
}

/** The device at `path` as it is on this system; rejects with the errno error when it does not exist. */
export async function describeDeviceNode(path: string, sysRoot = "/sys"): Promise<DeviceNode> {
  const node = await realpath(path);
  const info = await stat(node);
  const common = { node, uid: info.uid, gid: info.gid, mode: info.mode };
  if (info.isFile()) return { kind: "file", ...common };
  if (info.isDirectory()) return { kind: "directory", ...common };
  if ((info.mode & constants.S_IFMT) !== constants.S_IFCHR) return { kind: "other", ...common };
  const { major, minor } = majorMinor(info.rdev);
  let tty: boolean;
  try {
    tty = basename(await realpath(join(sysRoot, "dev", "char", `${major}:${minor}`, "subsystem"))) === "tty";
  } catch {
    tty = TTY_MAJORS.has(major);
  }
  return { kind: tty ? "serial" : "character device", ...common };
}
