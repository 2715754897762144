/**
 * The state directory's rules (DESIGN.md §7), checked before anything is read or written there:
 *
 * - It is a directory, writable by its owner only: a directory others may write to would let them
 *   swap the state file or plant links (refused, with `chmod go-w`).
 * - It belongs to the user sharebridge runs as. Root is the exception: `sudo sharebridge sync` next to
 *   the systemd service (DynamicUser=) must leave files the service can still read, so every file root
 *   writes into another user's directory is given to that directory's owner (`ownerForNewFiles`).
 *   Anyone else is refused, with how to run it as the owner.
 * - Failures are typed so that callers tell them apart: STATE_PERMISSION (EACCES, EPERM, a wrong
 *   owner or mode: an operator must act), STATE_WRITE_FAILED (full or read-only disk), STATE_READ_FAILED
 *   (an I/O error reading). Each carries `context.fix`. None of them means "corrupt".
 */
import { constants } from "node:fs";
import { access, chown, mkdir, open, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type Clock, sleep, systemClock, systemTimers, type Timers } from "../clock.js";
import { type ErrorCode, isSharebridgeError, SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";

/** Who this process is, as the kernel checks it (effective ids). Injected by tests. */
export interface ProcessIdentity {
  readonly uid: number;
  readonly gid: number;
}

export function processIdentity(): ProcessIdentity {
  return { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1 };
}

export interface PreparedStateDirectory {
  readonly dir: string;
  /** Set when root writes into another user's directory: every new file is chowned to this. */
  readonly ownerForNewFiles: { readonly uid: number; readonly gid: number } | undefined;
}

/** Errno values that mean "not allowed": the operator must change an owner or a mode. */
const PERMISSION_ERRNOS = new Set(["EACCES", "EPERM"]);

export function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? "error";
}

/** The typed error for a failed file operation in the state directory, with the fix in context. */
export function stateFileError(
  action: string,
  path: string,
  error: unknown,
  identity: ProcessIdentity,
  fixForPermission: string,
): SharebridgeError {
  const errno = errnoOf(error);
  let code: ErrorCode;
  let fix: string;
  if (PERMISSION_ERRNOS.has(errno)) {
    code = "STATE_PERMISSION";
    fix = fixForPermission;
  } else if (errno === "ENOSPC" || errno === "EDQUOT") {
    code = "STATE_WRITE_FAILED";
    fix = "free some space on that file system; sharebridge saves again at its next step";
  } else if (errno === "EROFS") {
    code = "STATE_WRITE_FAILED";
    fix = "the file system is read-only: remount it read-write, or set stateDir to a writable place";
  } else {
    code = action.startsWith("read") ? "STATE_READ_FAILED" : "STATE_WRITE_FAILED";
    fix = "check the disk (dmesg, fsck); an SD card that gives I/O errors is failing";
  }
  const who = PERMISSION_ERRNOS.has(errno) ? ` (sharebridge runs as uid ${identity.uid})` : "";
  return new SharebridgeError(
    code,
    `cannot ${action} ${path}: ${errno}${who}`,
    { path, errno, uid: identity.uid, fix },
    { cause: error },
  );
}

function refuse(message: string, dir: string, identity: ProcessIdentity, fix: string): SharebridgeError {
  return new SharebridgeError("STATE_PERMISSION", message, { dir, uid: identity.uid, fix });
}

/** How to run a command as the user that owns `uid`'s files. */
function runAsOwnerFix(dir: string, ownerUid: number, identity: ProcessIdentity): string {
  return (
    `run sharebridge as uid ${ownerUid} (sudo -u '#${ownerUid}' sharebridge …), or with sudo: root keeps the ` +
    `directory's owner on every file it writes; or give the directory to uid ${identity.uid} ` +
    `(sudo chown -R ${identity.uid} ${dir}), or set stateDir to a directory of your own`
  );
}

/**
 * Creates the directory (mode 0700) when missing and checks that it may be used. A directory that
 * root creates inside another user's directory is given to that user, like the files in it.
 */
export async function prepareStateDirectory(
  dir: string,
  identity: ProcessIdentity = processIdentity(),
): Promise<PreparedStateDirectory> {
  const absolute = resolve(dir);
  let created: string | undefined;
  try {
    created = await mkdir(absolute, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (errnoOf(error) === "EEXIST" || errnoOf(error) === "ENOTDIR") throw notADirectory(absolute);
    throw stateFileError(
      "create the state directory",
      absolute,
      error,
      identity,
      `create it for uid ${identity.uid} (sudo install -d -m 0700 -o ${identity.uid} ${absolute}), or set stateDir (--state-dir) to a writable directory`,
    );
  }
  if (created !== undefined && identity.uid === 0) await giveToParentOwner(created, absolute);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(absolute);
  } catch (error) {
    throw stateFileError(
      "inspect the state directory",
      absolute,
      error,
      identity,
      `let uid ${identity.uid} reach it (each directory above it needs x permission)`,
    );
  }
  if (!info.isDirectory()) throw notADirectory(absolute);
  if ((info.mode & 0o022) !== 0) {
    throw refuse(
      `the state directory ${absolute} is writable by ${(info.mode & 0o020) !== 0 ? "its group" : "others"} (mode ${(info.mode & 0o7777).toString(8).padStart(4, "0")}): anyone who may write there could replace the state file`,
      absolute,
      identity,
      `chmod go-w ${absolute} (sharebridge creates it with mode 0700)`,
    );
  }
  if (identity.uid === 0) {
    const foreign = info.uid !== 0;
    return {
      dir: absolute,
      ownerForNewFiles: foreign ? { uid: info.uid, gid: info.gid } : undefined,
    };
  }
  if (info.uid !== identity.uid) {
    throw refuse(
      `the state directory ${absolute} belongs to uid ${info.uid}, and sharebridge runs as uid ${identity.uid}`,
      absolute,
      identity,
      runAsOwnerFix(absolute, info.uid, identity),
    );
  }
  return { dir: absolute, ownerForNewFiles: undefined };
}

function notADirectory(dir: string): SharebridgeError {
  return new SharebridgeError("CONFIG_INVALID", `stateDir ${dir} is not a directory`, {
    key: "stateDir",
    dir,
    fix: "set stateDir (--state-dir) to a directory",
  });
}

/** Root created `first` … `last`: each gets the owner of the directory it was created in. */
async function giveToParentOwner(first: string, last: string): Promise<void> {
  const parent = await stat(dirname(first));
  if (parent.uid === 0) return;
  for (let path = last; path.length >= first.length; path = dirname(path)) {
    await chown(path, parent.uid, parent.gid);
    if (path === first) break;
  }
}

/**
 * Everything a writer needs, checked without writing: the directory (as above), that it is writable,
 * and that an existing state file can be opened for reading. Throws the typed errors above.
 */
export async function checkStateDirectory(
  dir: string,
  fileName: string,
  identity: ProcessIdentity = processIdentity(),
): Promise<PreparedStateDirectory> {
  const prepared = await prepareStateDirectory(dir, identity);
  try {
    await access(prepared.dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw stateFileError(
      "write to the state directory",
      prepared.dir,
      error,
      identity,
      `chmod u+rwx ${prepared.dir}`,
    );
  }
  const file = join(prepared.dir, fileName);
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    await handle.close();
  } catch (error) {
    const errno = errnoOf(error);
    // Absent is fine; a link or an odd file is the store's to set aside when it opens.
    if (errno !== "ENOENT" && errno !== "ELOOP") {
      throw stateFileError("read the state file", file, error, identity, ownerFix(file, prepared.dir));
    }
  }
  return prepared;
}

/** The fix for a state file this process may not read: give it back to the directory's owner. */
export function ownerFix(file: string, dir: string): string {
  return `give it to the state directory's owner: sudo chown --reference=${dir} ${file} (an older sharebridge run with sudo may have left it owned by root)`;
}

/** The codes a daemon waits out (an operator or the disk must change), rather than exit on. */
export function isStateUnusable(error: unknown): error is SharebridgeError {
  return (
    isSharebridgeError(error, "STATE_PERMISSION") ||
    isSharebridgeError(error, "STATE_WRITE_FAILED") ||
    isSharebridgeError(error, "STATE_READ_FAILED")
  );
}

export interface WaitForStateOptions {
  readonly fileName: string;
  readonly log?: Logger;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Between two checks, ms. Default 30 s. */
  readonly retryMs?: number;
  /** The same problem is logged again after this long, ms. Default 10 min. */
  readonly repeatLogMs?: number;
  readonly identity?: ProcessIdentity;
}

/**
 * For the daemon: waits, logging the problem and its fix, until the state directory can be used,
 * instead of exiting (systemd's start limit would then stop it for good). Returns false when `signal`
 * aborted first. Problems that no waiting can solve (not a directory) are thrown.
 */
export async function waitForUsableStateDirectory(
  dir: string,
  options: WaitForStateOptions,
): Promise<boolean> {
  const log = (options.log ?? silentLogger).child({ component: "state" });
  const clock = options.clock ?? systemClock;
  const retryMs = options.retryMs ?? 30_000;
  const repeatLogMs = options.repeatLogMs ?? 10 * 60_000;
  let lastMessage: string | undefined;
  let lastLoggedAtMs = Number.NEGATIVE_INFINITY;
  for (;;) {
    if (options.signal?.aborted === true) return false;
    try {
      await checkStateDirectory(dir, options.fileName, options.identity);
      if (lastMessage !== undefined) log.info({ dir }, "the state directory is usable again");
      return true;
    } catch (error) {
      if (!isStateUnusable(error)) throw error;
      const now = clock.now();
      if (error.message !== lastMessage || now - lastLoggedAtMs >= repeatLogMs) {
        log.error(
          { code: error.code, context: error.context },
          `${error.message}; waiting until it can be used (checking every ${Math.round(retryMs / 1000)} s)`,
        );
        lastMessage = error.message;
        lastLoggedAtMs = now;
      }
    }
    await sleep(retryMs, options.signal, options.timers ?? systemTimers);
  }
}
