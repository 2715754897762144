/**
 * The shape every `sharebridge` command module exports, and what it receives when it runs.
 *
 * Commands declare their own options (parsed with `node:util` parseArgs); the dispatcher adds the
 * global options (DESIGN.md §8: `--config`, `--device`, `--log-level`) to every command, loads the
 * configuration (file < environment < flags) and builds the logger at its `log.level` before the
 * command runs.
 */
import type { ParseArgsConfig } from "node:util";
import type { Clock } from "../clock.js";
import type { Config } from "../config/schema.js";
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
  /** The process's root logger (one-shot commands log to stderr), at the configuration's log.level. */
  readonly log: Logger;
  /** The validated configuration: defaults < file < environment < flags. */
  readonly config: Config;
  /** The configuration file read, if any. */
  readonly configFile: string | undefined;
  /** The host's wall clock (tests pass a fixed one). */
  readonly clock: Clock;
  /** Aborted on SIGINT/SIGTERM, and when stdout's reader went away (`… | head`). */
  readonly signal: AbortSignal;
}

export interface Command {
  /** Usage text shown by `--help` and on a usage error (options and what they do). */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Whether positional arguments are accepted. */
  readonly allowPositionals?: boolean;
  /** Commands whose stdout is their log (the daemon) set this; others log to stderr. */
  readonly logsToStdout?: boolean;
  /**
   * Commands that log in to Share set this: the region or server, the account name and the password
   * are checked before the command starts, every missing one named at once (src/config/require.ts).
   */
  readonly requiresShareAccount?: boolean;
  /**
   * A command that must answer a configuration it cannot read in its own way (health checks:
   * Docker reserves exit code 2) sets this; it writes its answer and returns the exit code.
   */
  readonly onConfigFailure?: (error: unknown, stdout: NodeJS.WritableStream) => number;
  /** Resolves to the process exit code. */
  run(context: CommandContext): Promise<number>;
}
