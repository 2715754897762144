/**
 * The pino root logger (the root of the layers, with errors.ts: every layer may import it). One root per process, built by the command that runs; every component
 * takes `root.child({ component })`.
 *
 * Output: JSON lines (journald and Docker collect them), or pino-pretty when the destination is a
 * terminal. The daemon logs to stdout; one-shot commands log to stderr so that their stdout carries
 * only data (JSON lines, CSV, hex) and can be piped.
 *
 * Secrets: the redact list covers every key under which a secret could travel. Code must still never
 * put a secret in a log object on purpose; redaction is the second line of defence.
 */
import { createRequire } from "node:module";
import type { Writable } from "node:stream";
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import type { PrettyOptions } from "pino-pretty";

/** pino-pretty is loaded only for a terminal: the daemon under systemd or Docker never pays for it. */
function loadPretty(): (options: PrettyOptions) => DestinationStream {
  const require = createRequire(import.meta.url);
  return require("pino-pretty") as (options: PrettyOptions) => DestinationStream;
}

export type { Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose values are secrets wherever they appear (one level of nesting is covered by `*.`). */
const SECRET_KEYS = [
  "password",
  "passwordFile",
  "sessionId",
  "SessionId",
  "sessionID",
  "authorization",
  "Authorization",
  "cookie",
  "accountPassword",
];

export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => [key, `*.${key}`]);

export interface LoggerSettings {
  level?: LogLevel;
  /** Where lines go; defaults to stderr. */
  destination?: Writable & { isTTY?: boolean; fd?: number };
  /** Force pretty output on or off; by default pretty exactly when the destination is a TTY. */
  pretty?: boolean;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const destination = settings.destination ?? process.stderr;
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: { service: "sharebridge" },
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
  };
  const usePretty = settings.pretty ?? destination.isTTY === true;
  if (usePretty) {
    const stream = loadPretty()({
      destination,
      sync: true,
      colorize: destination.isTTY === true,
      ignore: "pid,hostname,service",
      translateTime: "SYS:HH:MM:ss.l",
    });
    return pino(options, stream);
  }
  return pino(options, destination as DestinationStream);
}

/** A logger that discards everything: the default for library code when no logger is given. */
export const silentLogger: Logger = pino({ level: "silent" });
