/**
 * `sharebridge run` as a separate process (the built dist/main.js, which `npm test` builds first),
 * with its JSON log lines collected from stdout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { LogLine } from "./scenario.js";

export const MAIN = join(import.meta.dirname, "..", "..", "..", "dist", "main.js");

export interface ChildDaemon {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Resolves with the exit code (null when killed) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Standard error, for failure messages (the daemon logs to stdout). */
  stderr(): string;
}

export function spawnDaemon(args: readonly string[]): ChildDaemon {
  const child = spawn(process.execPath, [MAIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const lines: LogLine[] = [];
  let partial = "";
  let errors = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (text: string) => {
    const parts = (partial + text).split("\n");
    partial = parts.pop() ?? "";
    for (const part of parts) {
      if (part.trim() === "") continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ level: 0, msg: part });
      }
    }
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    errors = (errors + text).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, lines, exited, stderr: () => errors };
}

/** Polls `predicate` every `everyMs` until it holds; rejects after `timeoutMs` naming `what`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
