/**
 * A temporary folder laid out like the parts of a Linux system doctor looks at, and a
 * `DoctorEnvironment` over it with a fake command runner, user, access(2) and statfs.
 *
 *   ROOT/sys/devices/usb1/1-1/{idVendor,idProduct}         the receiver's USB device
 *   ROOT/sys/class/tty/ttyACM0/device -> …/1-1/1-1:1.0       its tty's interface
 *   ROOT/dev/ttyACM0                                        the "tty" (a plain file, described as a
 *                                                           character device, mode 0660)
 *   ROOT/dev/serial/by-id/usb-Dexcom_…-if00 -> ../../ttyACM0
 *   ROOT/etc/group, ROOT/etc/udev/rules.d/, ROOT/lib/udev/rules.d/, ROOT/proc/PID/comm
 */
import { constants } from "node:fs";
import { chown, mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describeDeviceNode } from "../../../src/observe/doctor/device-node.js";
import type { DoctorEnvironment, DoctorUser } from "../../../src/observe/doctor/types.js";
import type { TransportOpener } from "../../../src/receiver/transport.js";
import type { CommandResult } from "../../../src/time/host-sync.js";

export const RULE_TEXT = `# Dexcom G4/G5/G6 receivers: a stable name, the dialout group, and no ModemManager probing
SUBSYSTEM=="tty", ATTRS{idVendor}=="22a3", ATTRS{idProduct}=="0047", GROUP="dialout", MODE="0660", SYMLINK+="dexcom", ENV{ID_MM_DEVICE_IGNORE}="1"
`;

export interface FakeSystemOptions {
  /** Receivers plugged in (ttyACM0, ttyACM1, …). Default 1. */
  readonly receivers?: number;
  /** Files to create, by absolute path inside the fake root (rules, markers, …). */
  readonly files?: Readonly<Record<string, string>>;
  /** Running processes: pid → command name. */
  readonly processes?: Readonly<Record<number, string>>;
  /** Members of the tty's group ("dialout") in /etc/group. Default ["pi"]. */
  readonly dialoutMembers?: readonly string[];
}

export interface FakeSystem {
  readonly root: string;
  /** The first receiver's by-id link and tty node. */
  readonly byId: string;
  readonly node: string;
  /** The gid the fake tty belongs to (named dialout in the fake /etc/group). */
  readonly gid: number;
  /** Every fake tty node. */
  readonly nodes: readonly string[];
  /** What udev would list: every fake receiver's node. */
  listUdev(): Promise<{ path: string; vendorId: string; productId: string }[]>;
  remove(): Promise<void>;
}

/** Debian's gid of dialout. */
const DIALOUT_GID = 20;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

export async function fakeSystem(options: FakeSystemOptions = {}): Promise<FakeSystem> {
  const root = await mkdtemp(join(tmpdir(), "doctor-root-"));
  const count = options.receivers ?? 1;
  const nodes: string[] = [];
  await mkdir(join(root, "dev", "serial", "by-id"), { recursive: true });
  await mkdir(join(root, "sys", "class", "tty"), { recursive: true });
  for (let i = 0; i < count; i++) {
    const usb = join(root, "sys", "devices", "usb1", `1-${i + 1}`);
    await put(join(usb, "idVendor"), "22a3\n");
    await put(join(usb, "idProduct"), "0047\n");
    await mkdir(join(usb, `1-${i + 1}:1.0`), { recursive: true });
    await mkdir(join(root, "sys", "class", "tty", `ttyACM${i}`), { recursive: true });
    await symlink(join(usb, `1-${i + 1}:1.0`), join(root, "sys", "class", "tty", `ttyACM${i}`, "device"));
    const node = join(root, "dev", `ttyACM${i}`);
    await put(node, "");
    await symlink(
      `../../ttyACM${i}`,
      join(root, "dev", "serial", "by-id", `usb-Dexcom_G4_Receiver_${i}-if00`),
    );
    nodes.push(node);
  }
  const node = nodes[0] ?? join(root, "dev", "ttyACM0");
  // Files made by root belong to group 0, which is root's: give the ttys Debian's dialout gid
  // instead, as on a real system (only root can, and only root needs to).
  if (count > 0 && (await stat(node)).gid === 0) {
    for (const tty of nodes) await chown(tty, 0, DIALOUT_GID);
  }
  const gid = count > 0 ? (await stat(node)).gid : 0;
  await put(
    join(root, "etc", "group"),
    [
      `dialout:x:${gid}:${(options.dialoutMembers ?? ["pi"]).join(",")}`,
      gid === 0 ? "" : "root:x:0:",
      "bogus line",
      `plugdev:x:${gid === 46 ? 47 : 46}:pi`,
      "",
    ].join("\n"),
  );
  for (const [path, text] of Object.entries(options.files ?? {})) await put(join(root, path), text);
  for (const [pid, name] of Object.entries(options.processes ?? {}))
    await put(join(root, "proc", pid, "comm"), `${name}\n`);
  await mkdir(join(root, "proc"), { recursive: true });
  return {
    root,
    byId: join(root, "dev", "serial", "by-id", "usb-Dexcom_G4_Receiver_0-if00"),
    node,
    gid,
    nodes,
    listUdev: async () => nodes.map((path) => ({ path, vendorId: "22A3", productId: "0047" })),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export interface FakeEnvironmentOptions {
  readonly system: FakeSystem;
  /** Answers by command line ("systemctl is-active ModemManager"); other commands do not exist. */
  readonly commands?: Readonly<Record<string, CommandResult>>;
  /** Paths access(2) refuses (EACCES), or refuses with the given errno. */
  readonly denied?: Readonly<Record<string, string>>;
  /** Free bytes statfs reports. Default 1 GiB. */
  readonly freeBytes?: number;
  readonly user?: DoctorUser;
  /** How every tty path opens (the receiver emulator's in-process opener). */
  readonly opener?: TransportOpener;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  /** No udev listing: discovery then finds nothing. */
  readonly noUdev?: boolean;
  /** Owner, group and permission bits of fake ttys, by node path (default: the file's, mode 0660). */
  readonly devices?: Readonly<Record<string, { uid?: number; gid?: number; permissions?: number }>>;
}

export type FakeEnvironment = DoctorEnvironment & { readonly ran: string[] };

export function fakeEnvironment(options: FakeEnvironmentOptions): FakeEnvironment {
  const ran: string[] = [];
  const system = options.system;
  return {
    ran,
    root: system.root,
    now: options.now ?? Date.now,
    env: options.env ?? {},
    run: async (command, args) => {
      const line = [command, ...args].join(" ");
      ran.push(line);
      return options.commands?.[line];
    },
    access: async (path) => {
      const errno = options.denied?.[path];
      if (errno !== undefined) {
        throw Object.assign(new Error(`${errno}: access ${path}`), { code: errno });
      }
      await stat(path);
    },
    statfs: async () => ({ bavail: Math.floor((options.freeBytes ?? 1024 ** 3) / 4096), bsize: 4096 }),
    user: () => options.user ?? { name: "pi", uid: 1000, gids: [1000, system.gid] },
    deviceNode: async (path) => {
      const found = await describeDeviceNode(path, join(system.root, "sys"));
      if (!system.nodes.includes(found.node)) return found;
      const override = options.devices?.[found.node] ?? {};
      return {
        kind: "serial",
        node: found.node,
        uid: override.uid ?? found.uid,
        gid: override.gid ?? found.gid,
        mode: constants.S_IFCHR | (override.permissions ?? 0o660),
      };
    },
    serialOpener: () =>
      options.opener ??
      (async () => {
        throw Object.assign(new Error("no opener in this test"), { code: "ENODEV" });
      }),
    listUdev: options.noUdev === true ? async () => [] : () => system.listUdev(),
  };
}
