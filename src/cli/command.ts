/**
 * The shape every `sharebridge` command module exports, and what it receives when it runs.
 *
 * Commands parse their own options with `node:util` parseArgs (declared in `options`); the dispatcher
 * adds the global options (DESIGN.md §8: `--config`, `--device`, `--log-level`) to every command.
 */
import type { ParseArgsConfig } from "node:util";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  /** Parsed option values (command options plus the global ones). */
  readonly values: OptionValues;
  /** Positional arguments after the command words. */
  readonly positionals: readonly string[];
  /** Where data output goes (JSON lines, hex, tables). */
  readonly stdout: NodeJS.WritableStream;
  /** Where human messages that are not logs go (usage, progress). */
  readonly stderr: NodeJS.WritableStream;
  /** The process's root logger (one-shot commands log to stderr). */
  readonly log: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Wall-clock time for anything the command stamps (the host's; tests give a fake one). */
  readonly clock: Clock;
}

export interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** Usage text shown by `--help` and on a usage error (options and what they do). */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Whether positional arguments are accepted. */
  readonly allowPositionals?: boolean;
  /** Commands whose stdout is their log (the daemon) set this; others log to stderr. */
  readonly logsToStdout?: boolean;
  /** Resolves to the process exit code. */
  run(context: CommandContext): Promise<number>;
}
