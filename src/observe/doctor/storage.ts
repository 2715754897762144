/**
 * Doctor: the state directory (DESIGN.md §7) — can sharebridge write its state file there, is there
 * room, and is the file that is there usable?
 *
 * A state write that fails (full disk, read-only file system) claims no progress and loses nothing
 * (src/sync/state-store.ts), but the daemon then re-posts the same readings every cycle without
 * moving on: worth knowing before it happens. The thresholds leave room for the state file (a few
 * kilobytes), its temp copy and the journal growing beside it.
 */
import { constants } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { STATE_FILE_NAME } from "../../sync/state-store.js";
import { readStateForStatus } from "../status.js";
import { type Check, type DoctorEnvironment, fail, ok, warn } from "./types.js";

const MIB = 1024 * 1024;
/** Below this much free space the check fails: a state write may fail any time. */
export const DISK_FAIL_BYTES = 5 * MIB;
/** Below this much it warns. */
export const DISK_WARN_BYTES = 50 * MIB;

/** The directory itself when it exists, else its nearest existing ancestor. */
async function nearestExisting(
  dir: string,
): Promise<{ path: string; exists: boolean; isDirectory: boolean }> {
  let path = resolve(dir);
  for (let depth = 0; depth < 64; depth++) {
    try {
      const stats = await stat(path);
      return { path, exists: path === resolve(dir), isDirectory: stats.isDirectory() };
    } catch {
      const parent = dirname(path);
      if (parent === path) break;
      path = parent;
    }
  }
  return { path: "/", exists: false, isDirectory: true };
}

export function bytesInWords(bytes: number): string {
  if (bytes >= 1024 * MIB) return `${(bytes / (1024 * MIB)).toFixed(1)} GiB`;
  if (bytes >= 10 * MIB) return `${Math.floor(bytes / MIB)} MiB`;
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

async function writable(env: DoctorEnvironment, path: string): Promise<string | undefined> {
  try {
    await env.access(path, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? "error";
  }
}

export const stateDirectoryCheck: Check = {
  id: "state-dir",
  label: "state directory",
  async run({ config, env, facts }) {
    const dir = resolve(config.stateDir);
    const user = env.user().name;
    const fixAccess = `make it writable by ${user} (sudo chown ${user} ${dir}), or set stateDir (--state-dir) to a writable directory; under systemd, StateDirectory= creates it`;
    const found = await nearestExisting(dir);
    if (!found.isDirectory) {
      return fail(`${found.path} is not a directory`, "set stateDir (--state-dir) to a directory");
    }
    const denied = await writable(env, found.path);
    if (!found.exists) {
      return denied === undefined
        ? ok(`${dir} does not exist yet; it will be created in ${found.path}`)
        : fail(`${dir} does not exist and ${found.path} is not writable by ${user} (${denied})`, fixAccess);
    }
    if (denied !== undefined) return fail(`${dir} is not writable by ${user} (${denied})`, fixAccess);
    const file = join(dir, STATE_FILE_NAME);
    const read = await readStateForStatus(file);
    switch (read.state) {
      case "ok":
        facts.state = read.document;
        return ok(`${dir} is writable; ${STATE_FILE_NAME} is valid`);
      case "absent":
        return ok(`${dir} is writable; no state file yet (the first sync creates it)`);
      case "unreadable":
        return warn(
          `${dir} is writable, but ${file} is unreadable by ${user} (${read.problem})`,
          "run doctor as the user sharebridge runs as (or with sudo) to check the state file",
        );
      case "corrupt":
        return warn(
          `${file} is corrupt (${read.problem})`,
          "nothing to do: the daemon keeps a copy and starts from a safe default (a bounded backfill, whose duplicates Share ignores)",
        );
    }
  },
};

export const diskSpaceCheck: Check = {
  id: "disk",
  label: "disk space",
  async run({ config, env }) {
    const { path } = await nearestExisting(config.stateDir);
    let free: number;
    try {
      const stats = await env.statfs(path);
      free = stats.bavail * stats.bsize;
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code ?? "error";
      return warn(
        `cannot tell the free space at ${path} (${errno})`,
        "check that the state directory's file system is mounted",
      );
    }
    const finding = `${bytesInWords(free)} free for ${path}`;
    const fix = "free some space on that file system, or set stateDir (--state-dir) to one with room";
    if (!Number.isFinite(free) || free < DISK_FAIL_BYTES) {
      return fail(`only ${finding}: state writes may fail`, fix);
    }
    if (free < DISK_WARN_BYTES) return warn(`only ${finding}`, fix);
    return ok(finding);
  },
};
