/** Runs the CLI in-process with captured output. */
import { PassThrough } from "node:stream";
import { runCli } from "../../src/cli/index.js";
import type { Clock } from "../../src/clock.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The environment the command sees (default: this process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The wall clock the command sees (default: the host's). */
  readonly clock?: Clock;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const parts: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => parts.push(chunk));
  return { stream, text: () => Buffer.concat(parts).toString("utf8") };
}

export async function cli(
  args: string[],
  signal: AbortSignal = new AbortController().signal,
  options: CliOptions = {},
): Promise<CliRun> {
  const out = capture();
  const err = capture();
  const code = await runCli(args, { stdout: out.stream, stderr: err.stream, signal, ...options });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out.text(), stderr: err.text() };
}

/** The flags of a command that reads a receiver and posts to a Share account (sync, run, status). */
export function accountArgs(o: {
  readonly device: string;
  readonly server: string;
  readonly username: string;
  readonly passwordFile: string;
  readonly stateDir: string;
}): string[] {
  return [
    "--device",
    o.device,
    "--server",
    o.server,
    "--username",
    o.username,
    "--password-file",
    o.passwordFile,
    "--state-dir",
    o.stateDir,
  ];
}
