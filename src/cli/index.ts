/**
 * `sharebridge` argument dispatch (DESIGN.md §8, command line).
 *
 * The command table maps command words to a one-line description and a lazily imported module, so
 * that `sharebridge --help` and `sharebridge receiver info` never load the Share client or the
 * emulators. Each module default-exports a `Command`.
 *
 * Before a command runs, the dispatcher: refuses an unknown command or option with a suggestion;
 * loads the configuration (defaults < file < environment < flags), so every command honours
 * `--config`, `SHAREBRIDGE_CONFIG` and the variables; builds the logger at `log.level`; checks what a
 * Share command needs; and watches stdout, so that `sharebridge … | head` ends quietly.
 */
import { parseArgs } from "node:util";
import { type Clock, systemClock } from "../clock.js";
import { requireShareAccount } from "../config/require.js";
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import { createLogger, type Logger } from "../log.js";
import { closestName } from "../util/did-you-mean.js";
import { packageVersion } from "../util/version.js";
import type { Command, OptionSpec } from "./command.js";
import { configFromOptions, GLOBAL_FLAG_OPTIONS, GLOBAL_FLAGS_USAGE } from "./config-options.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { OutputGuard } from "./output-guard.js";
import { LineKeeper } from "./terminal-lines.js";

interface CommandEntry {
  /** One line for `sharebridge --help`. */
  readonly summary: string;
  readonly load: () => Promise<{ default: Command }>;
}

/** Command words → description and module. Add one line per command; keep the DESIGN.md names. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: {
    summary: "Run the uploader daemon: keep Share current with the receiver's readings",
    load: () => import("./run.js"),
  },
  sync: {
    summary: "Run one sync cycle: read new readings from the receiver and post them to Share",
    load: () => import("./sync.js"),
  },
  health: {
    summary: "Ask the running daemon whether it is healthy (exit 0 or 1, one line): for health checks",
    load: () => import("./health.js"),
  },
  status: {
    summary: "Show the state at a glance: receiver, battery, last reading and post, backlog, clock, login",
    load: () => import("./status.js"),
  },
  history: {
    summary:
      "Print the local history of readings and what became of each on Share (table, JSON lines or CSV)",
    load: () => import("./history.js"),
  },
  "alerts test": {
    summary: "Send one test message to the alert webhook (alerts.webhook) and say what it answered",
    load: () => import("./alerts-test.js"),
  },
  doctor: {
    summary: "Check the setup (device, permissions, udev, clock, disk, Share login) and say how to fix it",
    load: () => import("./doctor.js"),
  },
  "receiver info": {
    summary: "Show the receiver's identity, firmware, clocks, battery and database partitions",
    load: () => import("./receiver-info.js"),
  },
  "receiver list": {
    summary: "List every connected receiver with its serial, product and device path",
    load: () => import("./receiver-list.js"),
  },
  "receiver records": {
    summary: "Print the decoded records of one partition with their true times (JSON lines or CSV)",
    load: () => import("./receiver-records.js"),
  },
  "receiver dump": {
    summary: "Print raw database pages of one partition (hex or JSON, one page per line)",
    load: () => import("./receiver-dump.js"),
  },
  "receiver set-display-offset": {
    summary: "Set the receiver's display clock (the time the wearer sees): an explicit write",
    load: () => import("./receiver-set-display-offset.js"),
  },
  "receiver set-charger-current": {
    summary: "Set the receiver's USB charging current: an explicit write",
    load: () => import("./receiver-set-charger-current.js"),
  },
  "share login": {
    summary: "Check the Share account: one login, the receiver assignment and the monitoring session",
    load: () => import("./share-login.js"),
  },
  "share readings": {
    summary: "Show the latest readings as followers see them",
    load: () => import("./share-readings.js"),
  },
  "share followers list": {
    summary: "List the account's followers",
    load: () => import("./share-followers-list.js"),
  },
  "share followers invite": {
    summary: "Invite a follower by e-mail",
    load: () => import("./share-followers-invite.js"),
  },
  "share followers remove": {
    summary: "Remove a follower",
    load: () => import("./share-followers-remove.js"),
  },
  "mqtt forget": {
    summary: "Remove the receivers' sensors from Home Assistant (clears what was published on the broker)",
    load: () => import("./mqtt-forget.js"),
  },
  "emulate receiver": {
    summary: "Run the Dexcom receiver emulator on TCP and/or a pseudo-terminal",
    load: () => import("./emulate-receiver.js"),
  },
  "emulate share": {
    summary: "Run the Dexcom Share emulator on loopback HTTP",
    load: () => import("./emulate-share.js"),
  },
  demo: {
    summary: "Run the whole pipeline against the built-in emulators and show what followers would see",
    load: () => import("./demo.js"),
  },
};

/** Options every command accepts (DESIGN.md §8). */
export const GLOBAL_OPTIONS: OptionSpec = {
  config: { type: "string" },
  ...GLOBAL_FLAG_OPTIONS,
  help: { type: "boolean", short: "h" },
};

const GLOBAL_USAGE = `Global options:
  --config FILE               The configuration file (default: $SHAREBRIDGE_CONFIG, else /etc/sharebridge/config.json)
${GLOBAL_FLAGS_USAGE}
  -h, --help                  This help.
  --version                   The version of sharebridge (alone: sharebridge --version).`;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
  /** The environment (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The wall clock (default: the host's). */
  clock?: Clock;
}

function findCommand(argv: readonly string[]): { words: string; rest: string[] } | undefined {
  for (let n = Math.min(3, argv.length); n >= 1; n--) {
    const words = argv.slice(0, n).join(" ");
    if (COMMANDS[words] !== undefined) return { words, rest: argv.slice(n) };
  }
  return undefined;
}

function topLevelHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 4;
  return `sharebridge — Dexcom receiver to Dexcom Share bridge

Usage: sharebridge <command> [options]

Commands:
${names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]?.summary}`).join("\n")}

Run \`sharebridge <command> --help\` for a command's options.

${GLOBAL_USAGE}
`;
}

/** "Unknown command: x", with the nearest command when one is close. */
function unknownCommand(argv: readonly string[]): string {
  const words = argv.filter((a) => !a.startsWith("-")).slice(0, 3);
  const names = Object.keys(COMMANDS);
  // The longest known prefix ("share followers"), then the nearest next word.
  let prefix = "";
  for (const word of words) {
    const next = prefix === "" ? word : `${prefix} ${word}`;
    if (names.some((n) => n === next || n.startsWith(`${next} `))) prefix = next;
    else break;
  }
  const depth = prefix === "" ? 0 : prefix.split(" ").length;
  const typed = words[depth];
  const choices = [
    ...new Set(
      names
        .filter((n) => prefix === "" || n.startsWith(`${prefix} `))
        .map((n) => n.split(" ")[depth])
        .filter((w): w is string => w !== undefined),
    ),
  ];
  const what = words.join(" ") || argv.join(" ");
  if (typed === undefined) {
    return `Unknown command: ${what}; "${prefix}" is followed by one of: ${choices.join(", ")}`;
  }
  const near = closestName(typed, choices);
  const suggestion =
    near === undefined ? "" : `; did you mean "sharebridge ${prefix === "" ? near : `${prefix} ${near}`}"?`;
  return `Unknown command: ${what}${suggestion}`;
}

/** Refuses an option the command does not take, suggesting the nearest one. */
function checkOptionNames(args: readonly string[], options: OptionSpec, allowPositionals: boolean): void {
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const known = Object.keys(options);
  for (const token of tokens) {
    if (token.kind === "option" && !Object.hasOwn(options, token.name)) {
      const near = closestName(token.name, known);
      throw new SharebridgeError(
        "USAGE",
        `unknown option ${token.rawName}${near === undefined ? "" : `; did you mean --${near}?`}`,
        { option: token.name },
      );
    }
    if (token.kind === "positional" && !allowPositionals) {
      throw new SharebridgeError("USAGE", `unexpected argument "${token.value.slice(0, 80)}"`, {
        option: token.value.slice(0, 80),
      });
    }
  }
}

function parseOptions(args: readonly string[], command: Command): ReturnType<typeof parseArgs> {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  checkOptionNames(args, options, command.allowPositionals ?? false);
  try {
    return parseArgs({
      args: [...args],
      options,
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    // node's words for a missing value or a value given to a switch; they quote only the option.
    throw new SharebridgeError("USAGE", error instanceof Error ? error.message : String(error), {});
  }
}

/** Logs a failure: a USAGE error with the usage text, an expected one without a stack, a bug with one. */
function report(error: unknown, log: Logger, stderr: NodeJS.WritableStream, usage: string): void {
  if (isSharebridgeError(error, "USAGE")) {
    stderr.write(`${error.message}\n\n${usage}`);
  } else if (isSharebridgeError(error)) {
    // An expected failure: the code, the context and the cause say what went wrong; a stack trace
    // would only bury that (it is kept at debug level for bug reports).
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    log.error({ code: error.code, context: error.context, cause }, error.message);
    log.debug({ err: error }, "stack");
  } else {
    log.fatal({ err: error }, "unexpected failure");
  }
}

/** The end of a command whose output's reader went away: nothing is wrong, nobody is left to tell. */
function readerGone(log: Logger): number {
  log.debug("the output's reader went away; the command stopped");
  return EXIT.OK;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  if (argv[0] === "--version") {
    io.stdout.write(`sharebridge ${await packageVersion()}\n`);
    return EXIT.OK;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const asksHelp = argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help";
    if (asksHelp) {
      // Asked for: the answer is the output (`sharebridge --help | less`). With no arguments at all
      // it is a reminder, on stderr, as a usage error would be.
      (argv.length === 0 ? io.stderr : io.stdout).write(topLevelHelp());
      return EXIT.OK;
    }
    io.stderr.write(`${unknownCommand(argv)}\n\nRun \`sharebridge --help\` for the commands.\n`);
    return EXIT.USAGE_OR_CONFIG;
  }
  const entry = COMMANDS[found.words] as CommandEntry;
  const command = (await entry.load()).default;
  const usage = `Usage: sharebridge ${found.words} ${command.usage}\n\n${GLOBAL_USAGE}\n`;

  // stdout's reader may go away (`sharebridge receiver dump | head`): the command is stopped
  // through its signal, and the process ends quietly with 0 (the reader had what it wanted).
  const guard = new OutputGuard([io.stdout, io.stderr], io.signal);
  const stderr = new LineKeeper(io.stderr);
  const logTo = command.logsToStdout === true ? io.stdout : stderr;
  let log = createLogger({ level: "info", destination: logTo as never });
  try {
    const parsed = parseOptions(found.rest, command);
    if (parsed.values["help"] === true) {
      io.stdout.write(`${entry.summary}\n\n${usage}`);
      return EXIT.OK;
    }
    const loaded = await configFromOptions(parsed.values, env).catch((error: unknown) => {
      if (command.onConfigFailure === undefined) throw error;
      return command.onConfigFailure(error, io.stdout);
    });
    if (typeof loaded === "number") return loaded;
    log = createLogger({ level: loaded.config.log.level, destination: logTo as never });
    if (command.requiresShareAccount === true) await requireShareAccount(loaded, env);
    const code = await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      stdout: io.stdout,
      stderr,
      log,
      config: loaded.config,
      configFile: loaded.file,
      clock: io.clock ?? systemClock,
      signal: guard.signal,
    });
    return guard.readerGone ? readerGone(log) : code;
  } catch (error) {
    if (guard.readerGone) return readerGone(log);
    report(error, log, stderr, usage);
    return exitCodeFor(error);
  } finally {
    guard.release();
  }
}
