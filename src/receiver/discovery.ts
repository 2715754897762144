/**
 * Finding the receiver (spec receiver-protocol §1.2–§1.3): USB id 22a3:0047, Linux `cdc_acm`
 * tty. The stable `/dev/serial/by-id/` link is preferred over `/dev/ttyACMn`, whose number changes
 * between plugs (DESIGN.md §3).
 *
 * serialport's port list runs `udevadm info -e`; when udevadm is absent (slim Docker images) its
 * child-process error is unhandled and would kill the process, so the list is used only when
 * udevadm is on the PATH, and sysfs is read directly otherwise (the way DR and ES find it, §1.3).
 */
import { access, readdir, readFile, realpath } from "node:fs/promises";
import { delimiter, join } from "node:path";

export const DEXCOM_VENDOR_ID = "22a3";
/** G4/G5/G6 receivers; 0x0048 is the G7 receiver, out of scope (spec §1.1). */
export const DEXCOM_PRODUCT_ID = "0047";

export interface FoundReceiverPort {
  /** The path to open: the by-id link when there is one, else the tty node. */
  readonly path: string;
  /** The kernel tty node, e.g. /dev/ttyACM0. */
  readonly node: string;
  readonly source: "udev" | "sysfs";
}

export interface DiscoveryRoots {
  /** Default "/sys"; tests point it at a folder laid out like sysfs. */
  sys?: string;
  /** Default "/dev". */
  dev?: string;
  /**
   * The udev listing. Default: serialport's list when udevadm is on the PATH, else none; `null`
   * means none (as on a host without udevadm), so sysfs is read.
   */
  listUdev?:
    | (() => Promise<{ path: string; vendorId?: string | undefined; productId?: string | undefined }[]>)
    | null;
}

async function udevadmAvailable(): Promise<boolean> {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      await access(join(dir, "udevadm"));
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

async function serialportList() {
  const { autoDetect } = await import("@serialport/bindings-cpp");
  return autoDetect().list();
}

/** Maps real tty nodes to their /dev/serial/by-id links. */
async function byIdLinks(dev: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  const folder = join(dev, "serial", "by-id");
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return links;
  }
  for (const name of names.sort()) {
    try {
      links.set(await realpath(join(folder, name)), join(folder, name));
    } catch {
      // dangling link: the device just went away
    }
  }
  return links;
}

async function readId(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, "utf8")).trim().toLowerCase();
  } catch {
    return undefined;
  }
}

/** sysfs: /sys/class/tty/ttyACMn/device → the USB interface; its parent holds idVendor/idProduct. */
async function sysfsMatches(sys: string, dev: string): Promise<string[]> {
  const ttyClass = join(sys, "class", "tty");
  let names: string[];
  try {
    names = await readdir(ttyClass);
  } catch {
    return [];
  }
  const nodes: string[] = [];
  for (const name of names.filter((n) => /^tty(ACM|USB)\d+$/.test(n)).sort()) {
    try {
      const usbInterface = await realpath(join(ttyClass, name, "device"));
      const usbDevice = join(usbInterface, "..");
      const vendor = await readId(join(usbDevice, "idVendor"));
      const product = await readId(join(usbDevice, "idProduct"));
      if (vendor === DEXCOM_VENDOR_ID && product === DEXCOM_PRODUCT_ID) nodes.push(join(dev, name));
    } catch {
      // not a USB tty, or it vanished while we looked
    }
  }
  return nodes;
}

/** Every attached receiver, stable paths first in name order. */
export async function findReceiverPorts(roots: DiscoveryRoots = {}): Promise<FoundReceiverPort[]> {
  const sys = roots.sys ?? "/sys";
  const dev = roots.dev ?? "/dev";
  const links = await byIdLinks(dev);
  let nodes: string[];
  let source: FoundReceiverPort["source"];
  const listUdev =
    roots.listUdev === undefined ? ((await udevadmAvailable()) ? serialportList : null) : roots.listUdev;
  if (listUdev !== null) {
    source = "udev";
    nodes = (await listUdev())
      .filter(
        (p) =>
          p.vendorId?.toLowerCase() === DEXCOM_VENDOR_ID && p.productId?.toLowerCase() === DEXCOM_PRODUCT_ID,
      )
      .map((p) => p.path)
      .sort();
  } else {
    source = "sysfs";
    nodes = await sysfsMatches(sys, dev);
  }
  return nodes.map((node) => ({ node, path: links.get(node) ?? node, source }));
}
