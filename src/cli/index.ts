/**
 * `sharebridge` argument dispatch (DESIGN.md §8, command line).
 *
 * The command table maps command words to lazily imported modules, so that `sharebridge receiver
 * info` never loads the Share client or the emulators. Each module default-exports a `Command`.
 */
import { parseArgs } from "node:util";
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../log.js";
import type { Command, OptionSpec } from "./command.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";

type Loader = () => Promise<{ default: Command }>;

/** Command words → module. Add one line per command; keep the DESIGN.md names. */
export const COMMANDS: Readonly<Record<string, Loader>> = {
  run: () => import("./run.js"),
  demo: () => import("./demo.js"),
  sync: () => import("./sync.js"),
  status: () => import("./status.js"),
  health: () => import("./health.js"),
  doctor: () => import("./doctor.js"),
  "receiver info": () => import("./receiver-info.js"),
  "receiver set-display-offset": () => import("./receiver-set-display-offset.js"),
  "receiver set-charger-current": () => import("./receiver-set-charger-current.js"),
  "receiver dump": () => import("./receiver-dump.js"),
  "receiver records": () => import("./receiver-records.js"),
  "emulate receiver": () => import("./emulate-receiver.js"),
  "share login": () => import("./share-login.js"),
  "share readings": () => import("./share-readings.js"),
  "share followers list": () => import("./share-followers-list.js"),
  "share followers invite": () => import("./share-followers-invite.js"),
  "share followers remove": () => import("./share-followers-remove.js"),
  "emulate share": () => import("./emulate-share.js"),
};

/** Options every command accepts (DESIGN.md §8). */
export const GLOBAL_OPTIONS: OptionSpec = {
  config: { type: "string" },
  device: { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
};

const GLOBAL_USAGE = `Global options:
  --config FILE                       configuration file
  --device auto|PATH|tcp://HOST:PORT|emulate[:PROFILE]
                                      the receiver (default: auto, by USB id 22a3:0047;
                                      emulate runs the built-in receiver emulator)
  --log-level LEVEL                   ${LOG_LEVELS.join("|")} (default: info)
  -h, --help                          this help`;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
}

function findCommand(argv: readonly string[]): { words: string; rest: string[] } | undefined {
  for (let n = Math.min(3, argv.length); n >= 1; n--) {
    const words = argv.slice(0, n).join(" ");
    if (COMMANDS[words] !== undefined) return { words, rest: argv.slice(n) };
  }
  return undefined;
}

function topLevelHelp(): string {
  const names = Object.keys(COMMANDS).sort();
  return `sharebridge — Dexcom receiver to Dexcom Share bridge

Usage: sharebridge <command> [options]

Commands:
${names.map((n) => `  ${n}`).join("\n")}

Run \`sharebridge <command> --help\` for a command's options.

${GLOBAL_USAGE}
`;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const found = findCommand(argv);
  if (found === undefined) {
    const asksHelp = argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help";
    io.stderr.write(asksHelp ? topLevelHelp() : `Unknown command: ${argv.join(" ")}\n\n${topLevelHelp()}`);
    return asksHelp ? EXIT.OK : EXIT.USAGE_OR_CONFIG;
  }
  const loader = COMMANDS[found.words];
  if (loader === undefined) return EXIT.INTERNAL;
  const command = (await loader()).default;
  const usage = `Usage: sharebridge ${found.words} ${command.usage}\n\n${GLOBAL_USAGE}\n`;

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: found.rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${usage}`);
    return EXIT.USAGE_OR_CONFIG;
  }
  if (parsed.values["help"] === true) {
    io.stdout.write(`${command.summary}\n\n${usage}`);
    return EXIT.OK;
  }
  const level = (parsed.values["log-level"] as string | undefined) ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    io.stderr.write(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${level}"\n`);
    return EXIT.USAGE_OR_CONFIG;
  }
  const log = createLogger({
    level: level as LogLevel,
    destination: (command.logsToStdout === true ? io.stdout : io.stderr) as never,
  });
  try {
    return await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      stdout: io.stdout,
      stderr: io.stderr,
      log,
      signal: io.signal,
    });
  } catch (error) {
    const code = exitCodeFor(error);
    if (isSharebridgeError(error)) {
      if (error.code === "USAGE") io.stderr.write(`${error.message}\n\n${usage}`);
      else {
        // An expected failure: the code, the context and the cause say what went wrong; a stack
        // trace would only bury that (it is kept at debug level for bug reports).
        const cause = error.cause instanceof Error ? error.cause.message : undefined;
        log.error({ code: error.code, context: error.context, cause }, error.message);
        log.debug({ err: error }, "stack");
      }
    } else {
      log.fatal({ err: error }, "unexpected failure");
    }
    return code;
  }
}

/** Reads a required string option or raises a USAGE error naming it. */
export function requireString(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") {
    throw new SharebridgeError("USAGE", `--${name} is required`, { option: name });
  }
  return value;
}
