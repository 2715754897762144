/**
 * The state directory's lock, with real processes: a holder is a child process (node running the
 * built lock module), killed, stopped or left running as each case needs.
 */
import { lstat, mkdtemp, readFile, readlink, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Timers } from "../../src/clock.js";
import { acquireStateLock, LOCK_FILE_NAME, readStartTicks } from "../../src/sync/state-lock.js";
import { logSink } from "../share/support/log-sink.js";
import { type Child, DIST_URL, giveToService, IS_ROOT, SERVICE_UID, startNode } from "./support/processes.js";

/** A child that takes the lock, says so, and releases it on SIGTERM (or never, on SIGKILL). */
const HOLDER = `
  import { acquireStateLock } from "${DIST_URL}sync/state-lock.js";
  const [dir, command, waitMs] = process.argv.slice(1);
  try {
    const lock = await acquireStateLock(dir, { command, waitMs: Number(waitMs ?? 0) });
    console.log("locked " + process.pid);
    process.on("SIGTERM", async () => { await lock.release(); console.log("released"); process.exit(0); });
    setInterval(() => {}, 60_000);
  } catch (error) {
    console.log("refused " + JSON.stringify({ code: error.code, pid: error.context?.pid ?? null }));
  }`;

/** Fake time for the waits: every timer fires at once and moves the clock by its delay. */
function fakeTime(startMs: number, onTick: (nowMs: number) => Promise<void> | void = () => undefined) {
  const time = { now: startMs };
  const timers: Timers = {
    setTimeout(callback, ms) {
      const handle = setImmediate(async () => {
        time.now += ms;
        await onTick(time.now);
        callback();
      });
      return handle;
    },
    clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
  };
  return { clock: { now: () => time.now }, timers, time };
}

const EPOCH_MS = Date.UTC(2025, 0, 15, 12, 0, 0);

describe("state directory lock", () => {
  let dir: string;
  const children: Child[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-lock-"));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill("SIGKILL");
      await child.done;
    }
    await rm(dir, { recursive: true, force: true });
  });

  function holder(command = "run", waitMs = 0): Child {
    const child = startNode(HOLDER, [dir, command, String(waitMs)]);
    children.push(child);
    return child;
  }

  it("a second holder is refused at once, with the first one's PID and the fix", async () => {
    const first = holder("run");
    await first.line(/^locked /);
    const error = await acquireStateLock(dir, { command: "run" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "STATE_LOCKED",
      message: expect.stringMatching(
        new RegExp(
          `^the sharebridge daemon \\(PID ${first.pid}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\) is running: one sharebridge at a time may use the state directory ${dir} \\[STATE_LOCKED\\]$`,
        ),
      ),
      context: {
        pid: first.pid,
        command: "run",
        fix: `stop PID ${first.pid} first (the systemd service: sudo systemctl stop sharebridge), or set another stateDir`,
      },
    });
    const record = JSON.parse(await readFile(join(dir, LOCK_FILE_NAME), "utf8"));
    expect(record).toMatchObject({
      pid: first.pid,
      command: "run",
      startTicks: await readStartTicks(first.pid),
    });
    expect(record.bootId).toBe((await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim());
    expect(record.pidNamespace).toBe(await readlink("/proc/self/ns/pid"));
  });

  it("a waiting holder gets the lock once the first one releases it", async () => {
    const first = holder("share login");
    await first.line(/^locked /);
    const sink = logSink();
    const waiting = acquireStateLock(dir, { command: "sync", waitMs: 15_000, log: sink.log });
    while (!sink.text().includes("waiting for")) await new Promise((resolve) => setTimeout(resolve, 10));
    first.kill("SIGTERM");
    const lock = await waiting;
    expect(lock.holder).toMatchObject({ pid: process.pid, command: "sync" });
    expect(sink.text()).toContain(`waiting for sharebridge share login (PID ${first.pid}`);
    await lock.release();
    await expect(stat(join(dir, LOCK_FILE_NAME))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a lock left by a killed process is taken over, and says why", async () => {
    const first = holder("run");
    await first.line(/^locked /);
    first.kill("SIGKILL");
    await first.done;
    const sink = logSink();
    const lock = await acquireStateLock(dir, { command: "run", log: sink.log });
    expect(sink.lines()[0]).toMatchObject({
      level: 40,
      pid: first.pid,
      msg: `took over a stale lock: PID ${first.pid} is not running`,
    });
    await lock.release();
  });

  it("a lock from before the last boot, or whose PID now runs another process, is stale", async () => {
    const file = join(dir, LOCK_FILE_NAME);
    const base = { command: "run", acquiredAtMs: EPOCH_MS };
    await writeFile(file, JSON.stringify({ ...base, pid: process.pid + 1, bootId: "another-boot" }));
    const sink = logSink();
    const first = await acquireStateLock(dir, { command: "run", log: sink.log });
    await first.release();
    const live = startNode("setInterval(() => {}, 60_000); console.log('up')");
    children.push(live);
    await live.line(/^up/);
    const ticks = (await readStartTicks(live.pid)) ?? 0;
    await writeFile(file, JSON.stringify({ ...base, pid: live.pid, startTicks: ticks + 1 }));
    const second = await acquireStateLock(dir, { command: "run", log: sink.log });
    await second.release();
    expect(sink.lines().map((l) => l["msg"])).toEqual([
      "took over a stale lock: it was written before the machine last started",
      `took over a stale lock: PID ${live.pid} is now another process`,
    ]);
  });

  it("the same process cannot take its own lock twice; an old record with its PID is stale", async () => {
    const lock = await acquireStateLock(dir, { command: "run" });
    await expect(acquireStateLock(dir, { command: "sync" })).rejects.toMatchObject({
      code: "STATE_LOCKED",
      context: { pid: process.pid },
    });
    await lock.release();
    // A container restarted: its new process has the PID the old one wrote.
    await writeFile(
      join(dir, LOCK_FILE_NAME),
      JSON.stringify({ pid: process.pid, command: "run", acquiredAtMs: EPOCH_MS }),
    );
    const sink = logSink();
    const again = await acquireStateLock(dir, { command: "run", log: sink.log });
    expect(sink.lines()[0]?.["msg"]).toBe(
      `took over a stale lock: its PID ${process.pid} is this process's own`,
    );
    await again.release();
  });

  it("a link planted as the lock file is removed, never followed: its target is untouched", async () => {
    const victim = join(dir, "..", `${dir.split("/").pop()}-victim`);
    await writeFile(victim, "untouched");
    try {
      await symlink(victim, join(dir, LOCK_FILE_NAME));
      const sink = logSink();
      const lock = await acquireStateLock(dir, { command: "run", log: sink.log });
      expect(sink.lines()[0]?.["msg"]).toBe(
        "took over a stale lock: it is a symbolic link, not a lock sharebridge wrote",
      );
      expect((await lstat(lock.file)).isFile()).toBe(true);
      expect(await readFile(victim, "utf8")).toBe("untouched");
      await lock.release();
    } finally {
      await rm(victim, { force: true });
    }
  });

  it("a holder in another PID namespace is judged by its heartbeat", async () => {
    const file = join(dir, LOCK_FILE_NAME);
    const foreign = { pid: 1, command: "run", acquiredAtMs: EPOCH_MS, pidNamespace: "pid:[1]" };
    await writeFile(file, JSON.stringify(foreign));
    const at = (ms: number) => new Date(ms);
    await utimes(file, at(EPOCH_MS), at(EPOCH_MS));

    // It keeps touching the file: refused once it had the time to go stale and did not.
    const alive = fakeTime(EPOCH_MS, (now) => utimes(file, at(now), at(now)));
    const refused = await acquireStateLock(dir, {
      command: "run",
      clock: alive.clock,
      timers: alive.timers,
      pollMs: 5_000,
      staleAfterMs: 60_000,
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: "STATE_LOCKED",
      message: expect.stringContaining(
        "the sharebridge daemon (PID 1 in another PID namespace (another container?)",
      ),
    });
    expect(alive.time.now - EPOCH_MS).toBe(65_000);

    // It stopped touching it (a container killed): taken over once older than staleAfterMs.
    await utimes(file, at(EPOCH_MS), at(EPOCH_MS));
    const gone = fakeTime(EPOCH_MS);
    const sink = logSink();
    const lock = await acquireStateLock(dir, {
      command: "run",
      clock: gone.clock,
      timers: gone.timers,
      pollMs: 5_000,
      staleAfterMs: 60_000,
      log: sink.log,
    });
    expect(sink.lines().map((l) => l["msg"])).toEqual([
      expect.stringContaining("waiting for the sharebridge daemon (PID 1 in another PID namespace"),
      "took over a stale lock: its holder, in another PID namespace, has not touched it for 65 s",
    ]);
    await lock.release();
  });

  it("the holder touches its lock file every heartbeat", async () => {
    const fake = fakeTime(EPOCH_MS);
    const pending: (() => void)[] = [];
    const manual: Timers = {
      setTimeout(callback) {
        pending.push(callback);
        return pending.length;
      },
      clearTimeout: () => undefined,
    };
    const lock = await acquireStateLock(dir, {
      command: "run",
      clock: fake.clock,
      timers: manual,
      heartbeatMs: 30_000,
    });
    fake.time.now = EPOCH_MS + 30_000;
    pending.shift()?.();
    // The touch is asynchronous: look until it landed (bounded), then assert the exact time.
    for (let i = 0; i < 200 && (await stat(lock.file)).mtimeMs !== EPOCH_MS + 30_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await stat(lock.file)).mtimeMs).toBe(EPOCH_MS + 30_000);
    expect(pending).toHaveLength(1);
    await lock.release();
  });

  it("two processes taking over the same stale lock: exactly one wins, the other names it", async () => {
    for (let round = 0; round < 3; round++) {
      await writeFile(
        join(dir, LOCK_FILE_NAME),
        JSON.stringify({ pid: 999_999_999, command: "run", acquiredAtMs: EPOCH_MS }),
      );
      const a = holder("run");
      const b = holder("run");
      const [lineA, lineB] = await Promise.all([a.line(/^(locked|refused)/), b.line(/^(locked|refused)/)]);
      const lines = [lineA, lineB].sort();
      const winner = lineA.startsWith("locked") ? a : b;
      expect(lines[0]).toBe(`locked ${winner.pid}`);
      expect(lines[1]).toBe(`refused {"code":"STATE_LOCKED","pid":${winner.pid}}`);
      for (const child of [a, b]) child.kill("SIGKILL");
      await Promise.all([a.done, b.done]);
      children.splice(0);
    }
  });

  it.runIf(IS_ROOT)("root's lock in the service's directory belongs to the service's user", async () => {
    await giveToService(dir);
    const lock = await acquireStateLock(dir, { command: "sync" });
    expect((await stat(lock.file)).uid).toBe(SERVICE_UID);
    await lock.release();
  });
});
