/**
 * `sharebridge share login`: one careful login, then what the account says about the receiver and
 * the remote monitoring session. A refused password is never retried (share-api §3.4).
 */
import { isSharebridgeError } from "../errors.js";
import { assertSerial } from "../share/egv.js";
import type { Command } from "./command.js";
import { SHARE_FLAG_OPTIONS, SHARE_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { recordLoginConfirmation } from "./login-confirmation.js";
import { stringOption } from "./option-values.js";
import { shareSettingsFromConfig, withShareClient } from "./share-options.js";

const CREDENTIALS_HINT = `Share refused the credentials. Check the account name, the password and the region:
an account exists in one region only, and the wrong region answers exactly like a wrong password.
Nothing is retried; repeated failures lock the account for a while.
`;

const command: Command = {
  usage: `(--region R | --server URL) --username NAME --password-file FILE [--serial SN] [--json]

${SHARE_FLAGS_USAGE}
  --serial SN               also show whether this receiver is assigned to the account
  --json                    one JSON object instead of text

A successful login is recorded in the daemon's state directory (stateDir, --state-dir), when a
state file is there: a daemon that Share refused then logs in again.`,
  requiresShareAccount: true,
  options: {
    ...SHARE_FLAG_OPTIONS,
    serial: { type: "string" },
    json: { type: "boolean" },
  },
  async run(ctx) {
    const serial = stringOption(ctx.values, "serial");
    if (serial !== undefined) assertSerial(serial);
    const { config } = ctx;
    const settings = await shareSettingsFromConfig(config);
    return withShareClient(
      ctx,
      async (client) => {
        let accountId: string;
        try {
          ({ accountId } = await client.login(ctx.signal));
        } catch (error) {
          if (isSharebridgeError(error, "SHARE_CREDENTIALS")) ctx.stderr.write(CREDENTIALS_HINT);
          throw error;
        }
        if (
          await recordLoginConfirmation(
            config.stateDir,
            settings.origin,
            settings.username,
            accountId,
            ctx.log,
            ctx.clock,
          )
        ) {
          ctx.log.info({ stateDir: config.stateDir }, "the daemon may log in again");
        }
        const monitoringActive = await client.isMonitoringActive(ctx.signal);
        const assignment =
          serial === undefined ? undefined : await client.assignmentStatus(serial, ctx.signal);
        if (ctx.values["json"] === true) {
          ctx.stdout.write(
            `${JSON.stringify({ ok: true, accountId, serial: serial ?? null, assignment: assignment ?? null, monitoringActive })}\n`,
          );
        } else {
          const receiver =
            serial === undefined
              ? "(give --serial SN to check a receiver)"
              : `${serial}: ${assignment ?? ""}`;
          ctx.stdout.write(
            `Share login OK\n  account id   ${accountId}\n  receiver     ${receiver}\n  monitoring   ${
              monitoringActive ? "active" : "not active"
            }\n`,
          );
        }
        return EXIT.OK;
      },
      settings,
    );
  },
};

export default command;
