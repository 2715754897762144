/**
 * Doctor: is the receiver's device there, and may this user open it?
 *
 * `auto` finds the receiver by its USB id 22a3:0047 the way the daemon does (src/receiver/
 * discovery.ts: udev when present, sysfs otherwise); a path must exist; `tcp://` and the built-in
 * emulator have no local device and are checked only by whether they answer (receiver.ts).
 *
 * Permissions: on Debian and Raspberry Pi OS, cdc_acm ttys belong to group `dialout`, mode 0660.
 * The usual failure is a user not in that group, or added to it after logging in (groups apply from
 * the next login): the two get different fixes.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { deviceOpener, parseDeviceSpec } from "../../receiver/device.js";
import { expandDevicePattern } from "../../receiver/device-pattern.js";
import { DEXCOM_PRODUCT_ID, DEXCOM_VENDOR_ID, findReceiverPorts } from "../../receiver/discovery.js";
import { countOf } from "../../util/plural.js";
import type { DeviceNode } from "./device-node.js";
import { systemPath } from "./environment.js";
import { type Check, fail, ok, skip, warn } from "./types.js";

const EMULATE = /^emulate(?::([a-z0-9]+))?$/;
const USB_ID = `${DEXCOM_VENDOR_ID}:${DEXCOM_PRODUCT_ID}`;
/** /etc/group is small; a bigger file is read only this far. */
const MAX_GROUP_FILE_BYTES = 256 * 1024;

export const deviceCheck: Check = {
  id: "device",
  label: "receiver device",
  async run({ config, env, facts, log }) {
    const text = config.device.trim();
    const emulate = EMULATE.exec(text);
    if (emulate !== null) {
      const { createReceiverEmulator, PROFILE_IDS } = await import("../../emulator/receiver/index.js");
      const profile = emulate[1] ?? "g4";
      if (!(PROFILE_IDS as readonly string[]).includes(profile)) {
        return fail(`unknown emulator profile "${profile}"`, `use one of emulate:${PROFILE_IDS.join("|")}`);
      }
      const emulator = createReceiverEmulator({ profile: profile as (typeof PROFILE_IDS)[number], log });
      facts.deviceKind = "emulate";
      facts.opener = { opener: emulator.opener(), release: () => emulator.close() };
      return ok(`the built-in receiver emulator (${text}); no hardware involved`);
    }
    const spec = parseDeviceSpec(text);
    const noRelease = async () => undefined;
    switch (spec.kind) {
      case "tcp": {
        facts.deviceKind = "tcp";
        facts.opener = { opener: deviceOpener(spec), release: noRelease };
        return skip(`a receiver shared over the network (${text}); whether it answers is checked below`);
      }
      case "path": {
        facts.deviceKind = "path";
        let found: DeviceNode;
        try {
          found = await env.deviceNode(spec.path);
        } catch (error) {
          const errno = (error as NodeJS.ErrnoException).code ?? "error";
          return fail(
            `no device at ${spec.path} (${errno})`,
            "plug the receiver in with a data cable, check the path (ls -l /dev/serial/by-id/), or set device to auto",
          );
        }
        if (found.kind !== "serial") {
          const what = found.node === spec.path ? "" : ` (${found.node})`;
          return fail(
            `${spec.path}${what} is not a serial device: it is ${found.kind === "character device" ? "another character device" : `a ${found.kind}`}`,
            "set device to the receiver's tty (ls -l /dev/serial/by-id/ lists it), or to auto",
          );
        }
        facts.devicePath = spec.path;
        facts.opener = { opener: env.serialOpener(spec.path), release: noRelease };
        return ok(`${spec.path} exists`);
      }
      case "pattern": {
        facts.deviceKind = "path";
        const found = await expandDevicePattern(spec.pattern);
        const first = found[0];
        if (first === undefined) {
          return fail(
            `no serial device matches ${spec.pattern}`,
            "plug the receiver in with a data cable, or check the pattern (ls -l /dev/serial/by-id/)",
          );
        }
        facts.devicePath = first;
        facts.opener = { opener: env.serialOpener(first), release: noRelease };
        return ok(
          `${countOf(found.length, "serial device")} ${found.length === 1 ? "matches" : "match"} ${spec.pattern}: ${found.join(", ")}`,
        );
      }
      case "auto": {
        facts.deviceKind = "auto";
        const found = await findReceiverPorts({
          sys: systemPath(env, "/sys"),
          dev: systemPath(env, "/dev"),
          listUdev: env.listUdev,
        });
        const first = found[0];
        if (first === undefined) {
          return fail(
            `no receiver with USB id ${USB_ID} is connected`,
            `plug the receiver in with a data cable, not a charge-only one; \`lsusb\` should list ${USB_ID}`,
          );
        }
        facts.devicePath = first.path;
        facts.opener = { opener: env.serialOpener(first.path), release: noRelease };
        const how = `found by USB id ${USB_ID} via ${first.source}`;
        if (found.length > 1) {
          return warn(
            `${countOf(found.length, "receiver")} are connected; sharebridge uses ${first.path} (${how})`,
            "unplug the others, or set device to the path of the one to upload from",
          );
        }
        return ok(`${first.path} (${how})`);
      }
    }
  },
};

interface GroupEntry {
  readonly name: string;
  readonly members: readonly string[];
}

/** gid → group, from an /etc/group-style file; empty when unreadable. */
export async function readGroups(path: string): Promise<Map<number, GroupEntry>> {
  const groups = new Map<number, GroupEntry>();
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(MAX_GROUP_FILE_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return groups;
  }
  for (const line of text.split("\n")) {
    const [name, , gidText, members] = line.split(":");
    if (name === undefined || gidText === undefined || !/^\d{1,10}$/.test(gidText)) continue;
    const gid = Number(gidText);
    if (!groups.has(gid)) {
      groups.set(gid, {
        name,
        members: (members ?? "")
          .split(",")
          .map((m) => m.trim())
          .filter((m) => m !== ""),
      });
    }
  }
  return groups;
}

/** "crw-rw----" from st_mode. */
export function modeText(mode: number): string {
  const type =
    (mode & constants.S_IFMT) === constants.S_IFCHR
      ? "c"
      : (mode & constants.S_IFMT) === constants.S_IFDIR
        ? "d"
        : "-";
  let bits = "";
  for (const shift of [6, 3, 0]) {
    const triple = (mode >> shift) & 7;
    bits += `${triple & 4 ? "r" : "-"}${triple & 2 ? "w" : "-"}${triple & 1 ? "x" : "-"}`;
  }
  return type + bits;
}

/** Group read and write bits, as the udev rule sets them (0660). */
const GROUP_RW = 0o060;

export const permissionsCheck: Check = {
  id: "permissions",
  label: "permissions",
  async run({ env, facts }) {
    const path = facts.devicePath;
    if (path === undefined) {
      const why =
        facts.deviceKind === "tcp" || facts.deviceKind === "emulate"
          ? "not a local serial device"
          : "no device to check";
      return skip(why);
    }
    let device: DeviceNode;
    try {
      device = await env.deviceNode(path);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code ?? "error";
      return fail(`cannot look at ${path} (${errno})`, "plug the receiver in again and rerun doctor");
    }
    const { node, mode, gid } = device;
    const groups = await readGroups(systemPath(env, "/etc/group"));
    const group = groups.get(gid);
    const groupName = group?.name ?? `gid ${gid}`;
    const user = env.user();
    const where = `${node} (group ${groupName}, mode ${modeText(mode)})`;
    try {
      await env.access(node, constants.R_OK | constants.W_OK);
      return ok(`${where} is readable and writable by ${user.name}`);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code ?? "error";
      const member = user.gids.includes(gid);
      // Joining the group helps only when the group may read and write, and never for root's group.
      if ((mode & GROUP_RW) !== GROUP_RW || gid === 0) {
        return fail(
          `cannot read and write ${where}: only its owner may`,
          "install the udev rule systemd/99-dexcom-receiver.rules (it gives the receiver group dialout, mode 0660) and replug the receiver; the systemd unit and the Docker image run in group dialout",
        );
      }
      if (!member && group?.members.includes(user.name) === true) {
        return fail(
          `cannot read and write ${where}: ${user.name} was added to group ${groupName} after this session started`,
          "log out and back in (or reboot): a new group applies from the next login",
        );
      }
      if (!member) {
        return fail(
          `cannot read and write ${where}: ${user.name} is not in group ${groupName}`,
          `sudo usermod -aG ${groupName} ${user.name}, then log out and back in (the systemd unit and the Docker image run in group dialout already)`,
        );
      }
      return fail(
        `cannot read and write ${where} (${errno}) although ${user.name} is in group ${groupName}`,
        "install the udev rule systemd/99-dexcom-receiver.rules (it makes the receiver group-readable and -writable), then replug the receiver",
      );
    }
  },
};
