/**
 * `sharebridge health`: asks the running daemon's /healthz (at http.listen, read from the
 * configuration like every command) and exits 0 when it is healthy, 1 otherwise, with one line that
 * says why. Docker's HEALTHCHECK runs it: Docker reserves exit code 2, so every failure here,
 * a configuration that cannot be read included, is 1.
 */
import { SharebridgeError } from "../errors.js";
import { probeHealth } from "../observe/health-probe.js";
import { printable } from "../observe/words.js";
import type { Command } from "./command.js";

const UNHEALTHY = 1;
const DEFAULT_TIMEOUT_SECONDS = 5;

/** Seconds for --timeout: 1 to 60. */
function timeoutSeconds(text: unknown): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const value = typeof text === "string" && /^\d{1,2}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= 60)) {
    throw new SharebridgeError("USAGE", "--timeout must be a whole number of seconds from 1 to 60", {
      option: "timeout",
    });
  }
  return value;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const fix = error instanceof SharebridgeError ? error.context["fix"] : undefined;
  return printable(typeof fix === "string" ? `${message}; ${fix}` : message);
}

const command: Command = {
  usage: `[--timeout SECONDS] [--config FILE]

  --timeout SECONDS         how long to wait for the answer (default ${DEFAULT_TIMEOUT_SECONDS}, at most 60)

Prints one line: "healthy: …" (exit 0), or "unhealthy: …" with the reason (exit 1). Needs http.listen
(or SHAREBRIDGE_HTTP_LISTEN) set, as the daemon has it.`,
  options: { timeout: { type: "string" } },
  onConfigFailure(error, stdout) {
    stdout.write(`unhealthy: cannot read the configuration: ${oneLine(error)}\n`);
    return UNHEALTHY;
  },
  async run(context) {
    const timeoutMs = timeoutSeconds(context.values["timeout"]) * 1000;
    const listen = context.config.http.listen;
    if (listen === null) {
      context.stdout.write(
        `unhealthy: http.listen is off in ${context.configFile ?? "the configuration"}, so the daemon serves no /healthz to ask: set http.listen (e.g. "127.0.0.1:9477") or SHAREBRIDGE_HTTP_LISTEN, for the daemon and this command\n`,
      );
      return UNHEALTHY;
    }
    const verdict = await probeHealth({ ...listen, timeoutMs, signal: context.signal });
    context.stdout.write(`${verdict.line}\n`);
    return verdict.healthy ? 0 : UNHEALTHY;
  },
};

export default command;
