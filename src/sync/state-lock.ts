/**
 * One writer per state directory: the daemon holds `sharebridge.lock` for as long as it runs; `sync`
 * and `share login` hold it while they work. A second daemon refuses to start and names the first
 * one's PID; `sync` and `share login` wait a little, then say who holds it.
 *
 * The lock is a file created exclusively (O_CREAT|O_EXCL, no links followed) holding its holder's
 * PID, the command, the kernel's boot id, the process's start time (in clock ticks since boot) and its
 * PID namespace. Nothing in Node takes a kernel lock (flock, fcntl) without native code, and the
 * libraries that do it in JavaScript either keep no holder to name or rewrite the file every few
 * seconds; this one writes once, and touches the file's time every 30 s.
 *
 * A lock left by a process that is gone (SIGKILL, power cut) is stale and taken over:
 * - another boot id: the machine restarted since it was written;
 * - the same PID namespace: the PID does not run, or runs another process (another start time), or
 *   is this very process (a container restarted: its new process got the same PID);
 * - another PID namespace (a container sharing the volume): its PID means nothing here, so only the
 *   holder's heartbeat tells — a file not touched for `staleAfterMs` (2 minutes) is stale, and a
 *   restarted container waits that long for the lock its killed predecessor left.
 * Taking a stale lock over happens under a short-lived mutex (a directory, `<lock>.takeover`), and
 * the verdict is checked again inside it, so two contenders never both remove and both create.
 *
 * Root writing into another user's state directory gives the lock file to that user, like the state
 * file (state-directory.ts).
 */
import { constants, statSync, unlinkSync } from "node:fs";
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readFile,
  readlink,
  rmdir,
  stat,
  unlink,
} from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { type Clock, sleep, systemClock, systemTimers, type TimerHandle, type Timers } from "../clock.js";
import { SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import {
  errnoOf,
  type ProcessIdentity,
  prepareStateDirectory,
  processIdentity,
  stateFileError,
} from "./state-directory.js";

/** The lock file's name inside the state directory. */
export const LOCK_FILE_NAME = "sharebridge.lock";

/** What the lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  /** The command holding it: "run" (the daemon), "sync", "share login". */
  readonly command: string;
  readonly acquiredAtMs: number;
  readonly hostname?: string | undefined;
  /** /proc/sys/kernel/random/boot_id when written. */
  readonly bootId?: string | undefined;
  /** Field 22 of /proc/PID/stat: the process's start, in clock ticks after boot. */
  readonly startTicks?: number | undefined;
  /** readlink /proc/self/ns/pid, e.g. "pid:[4026531836]". */
  readonly pidNamespace?: string | undefined;
}

export interface StateLockOptions {
  /** What this process is, written into the lock: "run", "sync", "share login". */
  readonly command: string;
  /**
   * How long to wait for a live holder to let go, ms. Default 0: refuse at once. A holder that can
   * only be judged by its heartbeat (another PID namespace) is waited for until it is stale.
   */
  readonly waitMs?: number;
  /** Added to the refusal as what to do (the command knows best). */
  readonly fix?: string;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Between two looks at a held lock, ms. Default 250. */
  readonly pollMs?: number;
  /** How often the holder touches the file, ms. Default 30 s. */
  readonly heartbeatMs?: number;
  /** An untouched lock from another PID namespace is stale after this, ms. Default 4 heartbeats. */
  readonly staleAfterMs?: number;
  readonly identity?: ProcessIdentity;
}

export interface StateLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock file (if it is still this one) and stops the heartbeat. Idempotent. */
  release(): Promise<void>;
}

const MAX_LOCK_BYTES = 4096;
const DEFAULT_POLL_MS = 250;
/** A lock file still being written (empty or partial) is not judged for this long. */
const WRITING_GRACE_MS = 10_000;
/** A takeover mutex older than this was left by a crash. */
const TAKEOVER_STALE_MS = 30_000;

/** Locks this process holds, by file: a second acquire in the same process is refused too. */
const held = new Map<string, { ino: number }>();

/** Facts about this process that a later reader compares against. */
async function selfFacts(): Promise<Pick<LockHolder, "bootId" | "startTicks" | "pidNamespace">> {
  const [bootId, startTicks, pidNamespace] = await Promise.all([
    readBootId(),
    readStartTicks(process.pid),
    readlink("/proc/self/ns/pid").catch(() => undefined),
  ]);
  return { bootId, startTicks, pidNamespace };
}

async function readBootId(): Promise<string | undefined> {
  try {
    return (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The start time of a process (field 22 of /proc/PID/stat), or undefined when it cannot be seen. */
export async function readStartTicks(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a PID exists in this PID namespace (EPERM: it exists, owned by someone else). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === "EPERM";
  }
}

function parseHolder(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === "string" && x.length <= 200 ? x : undefined);
  const int = (x: unknown) => (typeof x === "number" && Number.isSafeInteger(x) && x >= 0 ? x : undefined);
  const pid = int(v["pid"]);
  const acquiredAtMs = int(v["acquiredAtMs"]);
  const command = str(v["command"]);
  if (pid === undefined || pid === 0 || acquiredAtMs === undefined || command === undefined) return undefined;
  return {
    pid,
    command,
    acquiredAtMs,
    hostname: str(v["hostname"]),
    bootId: str(v["bootId"]),
    startTicks: int(v["startTicks"]),
    pidNamespace: str(v["pidNamespace"]),
  };
}

type Verdict =
  | { readonly kind: "absent" }
  | { readonly kind: "stale"; readonly ino: number; readonly why: string; readonly holder?: LockHolder }
  /** `verified`: seen running here; otherwise only its heartbeat (or a write in progress) says so. */
  | {
      readonly kind: "held";
      readonly holder?: LockHolder;
      readonly verified: boolean;
      readonly ageMs: number;
    };

interface Judge {
  readonly file: string;
  readonly now: () => number;
  readonly self: Awaited<ReturnType<typeof selfFacts>>;
  readonly staleAfterMs: number;
  readonly identity: ProcessIdentity;
}

/** Reads the lock file and decides whether its holder still runs. */
async function judge(j: Judge): Promise<Verdict> {
  let handle: FileHandle;
  try {
    handle = await open(j.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === "ENOENT") return { kind: "absent" };
    if (errno === "ELOOP") {
      const info = await lstat(j.file).catch(() => undefined);
      return {
        kind: "stale",
        ino: info?.ino ?? -1,
        why: "it is a symbolic link, not a lock sharebridge wrote",
      };
    }
    throw stateFileError(
      "read the lock file",
      j.file,
      error,
      j.identity,
      `remove ${j.file} if no sharebridge runs`,
    );
  }
  let text: string;
  let ino: number;
  let mtimeMs: number;
  try {
    const info = await handle.stat();
    ino = info.ino;
    mtimeMs = info.mtimeMs;
    if (!info.isFile()) {
      throw new SharebridgeError("STATE_PERMISSION", `${j.file} is not a regular file`, {
        path: j.file,
        fix: `remove ${j.file}; sharebridge creates its lock file itself`,
      });
    }
    const buffer = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    text = buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
  const ageMs = Math.max(0, j.now() - mtimeMs);
  const holder = parseHolder(text);
  if (holder === undefined) {
    // Created but not written yet, or left empty by a crash right after creating it.
    if (ageMs < WRITING_GRACE_MS) return { kind: "held", verified: false, ageMs };
    return { kind: "stale", ino, why: "it does not name a holder" };
  }
  if (holder.bootId !== undefined && j.self.bootId !== undefined && holder.bootId !== j.self.bootId) {
    return { kind: "stale", ino, holder, why: "it was written before the machine last started" };
  }
  const sameNamespace =
    holder.pidNamespace === undefined ||
    j.self.pidNamespace === undefined ||
    holder.pidNamespace === j.self.pidNamespace;
  if (sameNamespace) {
    if (holder.pid === process.pid) {
      if (held.get(j.file)?.ino === ino) return { kind: "held", holder, verified: true, ageMs };
      return { kind: "stale", ino, holder, why: `its PID ${holder.pid} is this process's own` };
    }
    if (!pidExists(holder.pid))
      return { kind: "stale", ino, holder, why: `PID ${holder.pid} is not running` };
    if (holder.startTicks !== undefined) {
      const ticks = await readStartTicks(holder.pid);
      if (ticks !== undefined && ticks !== holder.startTicks) {
        return { kind: "stale", ino, holder, why: `PID ${holder.pid} is now another process` };
      }
    }
    return { kind: "held", holder, verified: true, ageMs };
  }
  if (ageMs > j.staleAfterMs) {
    return {
      kind: "stale",
      ino,
      holder,
      why: `its holder, in another PID namespace, has not touched it for ${Math.round(ageMs / 1000)} s`,
    };
  }
  return { kind: "held", holder, verified: false, ageMs };
}

/** Removes a stale lock, if it is still the one judged stale, under the takeover mutex. */
async function removeStale(j: Judge, judged: Extract<Verdict, { kind: "stale" }>): Promise<boolean> {
  const mutex = `${j.file}.takeover`;
  try {
    await mkdir(mutex, { mode: 0o700 });
  } catch (error) {
    if (errnoOf(error) !== "EEXIST") {
      throw stateFileError("take over the lock", mutex, error, j.identity, `remove ${mutex}`);
    }
    const info = await stat(mutex).catch(() => undefined);
    if (info !== undefined && j.now() - info.mtimeMs > TAKEOVER_STALE_MS)
      await rmdir(mutex).catch(() => undefined);
    return false;
  }
  try {
    const again = await judge(j);
    if (again.kind !== "stale" || again.ino !== judged.ino) return false;
    await unlink(j.file);
    return true;
  } finally {
    await rmdir(mutex).catch(() => undefined);
  }
}

function describeHolder(holder: LockHolder | undefined, verified: boolean): string {
  if (holder === undefined) return "a sharebridge process that is still writing the lock file";
  const who = holder.command === "run" ? "the sharebridge daemon" : `sharebridge ${holder.command}`;
  const since = new Date(holder.acquiredAtMs).toISOString();
  const where = verified ? "" : " in another PID namespace (another container?)";
  return `${who} (PID ${holder.pid}${where}, since ${since})`;
}

function lockedError(
  dir: string,
  file: string,
  verdict: Extract<Verdict, { kind: "held" }>,
  fix: string | undefined,
): SharebridgeError {
  const holder = verdict.holder;
  const running = holder?.command === "run" ? " is running" : " holds it";
  return new SharebridgeError(
    "STATE_LOCKED",
    `${describeHolder(holder, verdict.verified)}${running}: one sharebridge at a time may use the state directory ${dir}`,
    {
      dir,
      file,
      pid: holder?.pid ?? null,
      command: holder?.command ?? null,
      fix:
        fix ??
        `stop PID ${holder?.pid ?? "?"} first (the systemd service: sudo systemctl stop sharebridge), or set another stateDir`,
    },
  );
}

/**
 * Takes the state directory's lock (creating the directory if needed, with the checks of
 * state-directory.ts). Throws STATE_LOCKED naming the holder when it is held longer than `waitMs`,
 * ABORTED when `signal` aborts while waiting, and the state directory's typed errors.
 */
export async function acquireStateLock(dir: string, options: StateLockOptions): Promise<StateLock> {
  const identity = options.identity ?? processIdentity();
  const prepared = await prepareStateDirectory(dir, identity);
  const file = join(prepared.dir, LOCK_FILE_NAME);
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const log = (options.log ?? silentLogger).child({ component: "state-lock" });
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const j: Judge = {
    file,
    now: () => clock.now(),
    self: await selfFacts(),
    staleAfterMs: options.staleAfterMs ?? 4 * heartbeatMs,
    identity,
  };
  const startMs = clock.now();
  let loggedWait = false;
  for (;;) {
    const created = await create(file, options.command, j, prepared.ownerForNewFiles);
    if (created !== undefined) {
      return holdLock(file, created, { heartbeatMs, clock, timers, log });
    }
    const verdict = await judge(j);
    if (verdict.kind === "absent") continue;
    if (verdict.kind === "stale") {
      if (await removeStale(j, verdict)) {
        log.warn(
          { file, pid: verdict.holder?.pid ?? null, command: verdict.holder?.command ?? null },
          `took over a stale lock: ${verdict.why}`,
        );
        continue;
      }
    } else {
      // A holder seen running is waited for `waitMs`; one only its heartbeat vouches for, until it
      // has had the time to go stale (a live one keeps touching the file and is then refused).
      const waitedMs = clock.now() - startMs;
      const limitMs = verdict.verified
        ? (options.waitMs ?? 0)
        : Math.max(options.waitMs ?? 0, j.staleAfterMs + (options.pollMs ?? DEFAULT_POLL_MS));
      if (waitedMs >= limitMs) throw lockedError(prepared.dir, file, verdict, options.fix);
      if (!loggedWait && verdict.holder !== undefined) {
        log.info(
          { file, pid: verdict.holder.pid, command: verdict.holder.command },
          `waiting for ${describeHolder(verdict.holder, verdict.verified)} to release the state directory`,
        );
        loggedWait = true;
      }
    }
    await sleep(options.pollMs ?? DEFAULT_POLL_MS, options.signal, timers);
    if (options.signal?.aborted === true) {
      throw new SharebridgeError("ABORTED", "stopped while waiting for the state directory's lock", { file });
    }
  }
}

/** Creates the lock file with this process's record; undefined when it exists already. */
async function create(
  file: string,
  command: string,
  j: Judge,
  owner: { uid: number; gid: number } | undefined,
): Promise<Created | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(
      file,
      constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
  } catch (error) {
    if (errnoOf(error) === "EEXIST") return undefined;
    throw stateFileError("create the lock file", file, error, j.identity, writableFix(file, j.identity));
  }
  const holder: LockHolder = {
    pid: process.pid,
    command,
    acquiredAtMs: j.now(),
    hostname: hostname(),
    ...j.self,
  };
  try {
    if (owner !== undefined) await handle.chown(owner.uid, owner.gid);
    await handle.writeFile(`${JSON.stringify(holder)}\n`, "utf8");
    const { ino } = await handle.stat();
    return { handle, holder, ino };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    throw stateFileError("write the lock file", file, error, j.identity, writableFix(file, j.identity));
  }
}

function writableFix(file: string, identity: ProcessIdentity): string {
  return `let uid ${identity.uid} write to the directory of ${file}`;
}

interface Created {
  readonly handle: FileHandle;
  readonly holder: LockHolder;
  readonly ino: number;
}

function holdLock(
  file: string,
  { handle, holder, ino }: Created,
  o: { heartbeatMs: number; clock: Clock; timers: Timers; log: Logger },
): StateLock {
  const { timers, log } = o;
  held.set(file, { ino });
  // A process that exits without releasing (process.exit, an uncaught error) still removes its lock.
  const onExit = () => {
    try {
      if (statSync(file).ino === ino) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.once("exit", onExit);
  let timer: TimerHandle | undefined;
  // The heartbeat: what tells a process in another PID namespace that this holder still runs.
  const beat = () => {
    const now = new Date(o.clock.now());
    handle.utimes(now, now).catch((error: unknown) => {
      log.warn({ file, errno: errnoOf(error) }, "could not touch the lock file");
    });
    timer = timers.setTimeout(beat, o.heartbeatMs);
  };
  timer = timers.setTimeout(beat, o.heartbeatMs);
  let released: Promise<void> | undefined;
  return {
    file,
    holder,
    release() {
      released ??= (async () => {
        if (timer !== undefined) timers.clearTimeout(timer);
        process.removeListener("exit", onExit);
        held.delete(file);
        try {
          if ((await stat(file)).ino === ino) await unlink(file);
          else log.warn({ file }, "the lock file was replaced by another process; left it alone");
        } catch (error) {
          if (errnoOf(error) !== "ENOENT")
            log.warn({ file, errno: errnoOf(error) }, "could not remove the lock file");
        } finally {
          await handle.close().catch(() => undefined);
        }
      })();
      return released;
    },
  };
}

/** Runs `work` holding the lock, and releases it afterwards whatever happens. */
export async function withStateLock<T>(
  dir: string,
  options: StateLockOptions,
  work: (lock: StateLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireStateLock(dir, options);
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}
