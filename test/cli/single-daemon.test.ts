/**
 * One sharebridge per state directory, with real processes: `sharebridge run` (dist/main.js) holds
 * the state directory; a second `run` refuses at once and names its PID; `sync` waits for the lock
 * and proceeds once the daemon stopped. The receiver is the built-in emulator, Share the emulator
 * over loopback.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { LOCK_FILE_NAME } from "../../src/sync/state-lock.js";
import { type ChildDaemon, MAIN, spawnDaemon, waitFor } from "../scenarios/support/child-daemon.js";

let dir: string;
let share: ShareEmulator;
let args: string[];
const daemons: ChildDaemon[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-single-"));
  await writeFile(join(dir, "password"), "pw-for-tests\n");
  share = await startShareEmulator({ accounts: [{ name: "carer", password: "pw-for-tests" }] });
  args = [
    "--device",
    "emulate:g4",
    "--server",
    share.url("us"),
    "--username",
    "carer",
    "--password-file",
    join(dir, "password"),
    "--state-dir",
    join(dir, "state"),
  ];
});

afterEach(async () => {
  for (const daemon of daemons.splice(0)) {
    daemon.child.kill("SIGKILL");
    await daemon.exited;
  }
  await share.close();
  await rm(dir, { recursive: true, force: true });
});

function start(): ChildDaemon {
  const daemon = spawnDaemon(["run", ...args]);
  daemons.push(daemon);
  return daemon;
}

async function lockHolderPid(): Promise<number | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "state", LOCK_FILE_NAME), "utf8")).pid;
  } catch {
    return undefined;
  }
}

describe("one sharebridge per state directory", () => {
  it("a second `run` refuses to start, exit 10, naming the first one's PID; the first keeps its lock", async () => {
    const first = start();
    await waitFor(async () => (await lockHolderPid()) === first.child.pid, "the first daemon's lock", 15_000);
    const second = start();
    const { code } = await second.exited;
    expect(code).toBe(EXIT.LOCKED);
    const refusal = second.lines.find((line) => line.level === 50);
    expect(refusal?.msg).toMatch(
      new RegExp(`^the sharebridge daemon \\(PID ${first.child.pid}, since [^)]+\\) is running: `),
    );
    expect(await lockHolderPid()).toBe(first.child.pid);
    first.child.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: EXIT.OK, signal: null });
    expect(await lockHolderPid()).toBeUndefined();
  });

  it("`sync` waits while the daemon holds the state directory and proceeds once it stopped", async () => {
    const daemon = start();
    await waitFor(async () => (await lockHolderPid()) === daemon.child.pid, "the daemon's lock", 15_000);
    const sync = spawn(process.execPath, [MAIN, "sync", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    sync.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const syncExit = new Promise<number | null>((resolve) => sync.once("exit", (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes("waiting for"), "the sync to wait for the lock", 15_000);
      expect(stderr).toContain(`waiting for the sharebridge daemon (PID ${daemon.child.pid}`);
      daemon.child.kill("SIGTERM");
      await daemon.exited;
      expect(await syncExit).toBe(EXIT.OK);
      expect(stderr).toMatch(/posted \d+ readings/);
      expect(await lockHolderPid()).toBeUndefined();
    } finally {
      sync.kill("SIGKILL");
    }
  });

  it("`share login` beside the running daemon: the confirmation goes into its own file, the daemon keeps its lock", async () => {
    const daemon = start();
    await waitFor(async () => (await lockHolderPid()) === daemon.child.pid, "the daemon's lock", 15_000);
    // share login records a confirmation only where the daemon keeps state: its first cycle writes it.
    const stateFile = join(dir, "state", "state.json");
    await waitFor(
      async () => (await readFile(stateFile).catch(() => undefined)) !== undefined,
      "state.json",
      15_000,
    );
    const login = spawn(process.execPath, [MAIN, "share", "login", ...args, "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    login.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    const loginExit = new Promise<number | null>((resolve) => login.once("exit", (code) => resolve(code)));
    try {
      expect(await loginExit).toBe(EXIT.OK);
      expect(JSON.parse(stdout)).toMatchObject({ ok: true });
      const confirmations = JSON.parse(
        await readFile(join(dir, "state", "login-confirmations.json"), "utf8"),
      );
      expect(Object.keys(confirmations.accounts)).toEqual([`${share.url("us").replace(/\/$/, "")} carer`]);
      expect(Object.values(confirmations.accounts)).toEqual([{ confirmedAtMs: expect.any(Number) }]);
      expect(await lockHolderPid()).toBe(daemon.child.pid);
    } finally {
      login.kill("SIGKILL");
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }
  });
});
