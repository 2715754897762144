/**
 * The built CLI (dist/main.js) as a child process, measured the way an operator would: exit code,
 * wall time, peak resident memory (VmHWM from /proc/PID/status, polled while it runs) and, when the
 * test stops it with a signal, the time from the signal to its exit. The signal is sent when a given
 * text first appears in the process's output, so that the command is known to be at that step.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");

/** Output kept per run (the tail): enough for every marker and error a test looks for. */
const MAX_OUTPUT_CHARS = 256 * 1024;
const POLL_MS = 10;

export interface StopAt {
  /** Sent when this text first appears on stdout or stderr… */
  readonly marker?: string;
  /** …or when this turns true (polled every 10 ms). */
  readonly when?: () => boolean;
  readonly signal: "SIGTERM" | "SIGINT";
}

export interface MeasuredRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Spawn to exit, ms. */
  readonly elapsedMs: number;
  /** The stop signal to exit, ms; undefined when the marker never appeared (no signal sent). */
  readonly stopMs: number | undefined;
  /** Peak resident memory, MiB (the kernel's VmHWM, as last read before the exit). */
  readonly peakMiB: number;
  /** stdout and stderr, interleaved as they arrived (the last 256 KiB). */
  readonly output: string;
}

async function highWaterKiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * Runs `sharebridge ARGS…` and measures it. Killed (SIGKILL) after `limitMs`: the result then has
 * signal SIGKILL and the test's own assertions say what overran.
 */
export async function runMeasured(
  args: readonly string[],
  options: { readonly stopAt?: StopAt; readonly limitMs: number },
): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let output = "";
  let signalledAt: number | undefined;
  const stop = options.stopAt;
  const stopIf = (due: boolean) => {
    if (stop === undefined || signalledAt !== undefined || !due) return;
    signalledAt = performance.now();
    child.kill(stop.signal);
  };
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-MAX_OUTPUT_CHARS);
    stopIf(stop?.marker !== undefined && output.includes(stop.marker));
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let peakKiB = 0;
  let polling = true;
  const poll = (async () => {
    while (polling && child.pid !== undefined) {
      const kib = await highWaterKiB(child.pid);
      if (kib !== undefined) peakKiB = Math.max(peakKiB, kib);
      stopIf(stop?.when?.() === true);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  const limit = setTimeout(() => child.kill("SIGKILL"), options.limitMs);
  const closed = new Promise((resolve) => child.once("close", resolve));
  try {
    const [code, signal, ended] = await new Promise<[number | null, NodeJS.Signals | null, number]>(
      (resolve) => child.once("exit", (c, s) => resolve([c, s, performance.now()])),
    );
    // Everything it wrote, before looking at the output.
    await closed;
    return {
      code,
      signal,
      elapsedMs: Math.round(ended - started),
      stopMs: signalledAt === undefined ? undefined : Math.round(ended - signalledAt),
      peakMiB: Math.round((peakKiB / 1024) * 10) / 10,
      output,
    };
  } finally {
    clearTimeout(limit);
    polling = false;
    await poll;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
