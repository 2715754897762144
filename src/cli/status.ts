/**
 * `sharebridge status [--json]`: the state at a glance (DESIGN.md §8) — receiver present, serial,
 * battery, last reading and last post with their ages, backlog, clock offset, Share login state and
 * the last cycle. The facts come from the daemon's state file (read, never rewritten) and a quick
 * probe of the receiver (src/observe/status.ts; the `--json` keys are documented there).
 *
 * Exit codes: 0 whenever a report was printed, however bad the news in it (a missing receiver or a
 * refused password is a finding, not a failure of `status`); 2 for a wrong command line or an
 * invalid configuration.
 */

import type { Logger } from "../log.js";
import { configuredOrigin } from "../observe/auth-state.js";
import { collectStatus } from "../observe/status.js";
import { formatStatus } from "../observe/status-format.js";
import type { Command, CommandContext } from "./command.js";
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { deviceFromSpec } from "./receiver-connection.js";

/**
 * The report is the output; log lines from the probe (a retry, a slow reply) would only interleave
 * with it on the terminal. They appear when a level is asked for on this run (--log-level or
 * $SHAREBRIDGE_LOG_LEVEL), for a bug report.
 */
export function quietUnlessAsked(
  context: CommandContext,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Logger {
  const asked = context.values["log-level"] !== undefined || (env["SHAREBRIDGE_LOG_LEVEL"] ?? "") !== "";
  return asked ? context.log : context.log.child({}, { level: "silent" });
}

const command: Command = {
  usage: `[--json] [options]

  --json                    one JSON object (stable keys) instead of text
${CONFIG_FLAGS_USAGE}`,
  options: { ...CONFIG_FLAG_OPTIONS, json: { type: "boolean" } },
  async run(context) {
    const { config } = context;
    configuredOrigin(config); // a bad share.server is a configuration error (exit 2), found before probing
    // The device from the configuration (file < environment < --device), opened only by the probe.
    const device = await deviceFromSpec(config.device, context.log, { serial: config.receiver.serial });
    const report = await collectStatus({
      config,
      device,
      log: quietUnlessAsked(context),
      now: () => context.clock.now(),
    });
    context.stdout.write(
      context.values["json"] === true
        ? `${JSON.stringify(report)}\n`
        : formatStatus(report, config.display.units),
    );
    return EXIT.OK;
  },
};

export default command;
