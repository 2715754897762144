/**
 * The real system behind `DoctorEnvironment`: node's file system calls, the process's user and
 * groups, commands run with a timeout and a bounded output, serial ports through serialport.
 */
import { access, statfs } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { serialOpener } from "../../receiver/transports/serial.js";
import { systemProbe } from "../../time/host-sync.js";
import { describeDeviceNode } from "./device-node.js";
import type { DoctorEnvironment, DoctorUser } from "./types.js";

function currentUser(): DoctorUser {
  const uid = process.getuid?.() ?? -1;
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // A container user without a passwd entry has a uid and no name.
    name = `uid ${uid}`;
  }
  return { name, uid, gids: process.getgroups?.() ?? [] };
}

export function systemEnvironment(overrides: Partial<DoctorEnvironment> = {}): DoctorEnvironment {
  return {
    root: "/",
    now: Date.now,
    env: process.env,
    run: (command, args, timeoutMs) => systemProbe.run(command, args, timeoutMs),
    access: (path, mode) => access(path, mode),
    statfs: async (path) => {
      const stats = await statfs(path);
      return { bavail: stats.bavail, bsize: stats.bsize };
    },
    user: currentUser,
    deviceNode: (path) => describeDeviceNode(path),
    serialOpener: (path) => serialOpener(path),
    ...overrides,
  };
}

/** A system path under the environment's root. */
export function systemPath(env: DoctorEnvironment, path: string): string {
  return env.root === "/" ? path : join(env.root, path);
}
