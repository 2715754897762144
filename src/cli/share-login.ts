/**
 * `sharebridge share login`: one careful login, then what the account says about the receiver and
 * the remote monitoring session. A refused password is never retried (share-api §3.4): the login
 * breaker is the daemon's own, kept in its state file (share-login-breaker.ts); `--force` tries
 * anyway, with a warning. With `--serial`, which of the assignment cases of share-api §18.3 applies
 * and what a sync would do about it.
 */
import { isSharebridgeError } from "../errors.js";
import { type AssignmentReport, slotInWords } from "../share/assignment.js";
import { shareSerial } from "../share/egv.js";
import type { Command } from "./command.js";
import { SHARE_FLAG_OPTIONS, SHARE_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { recordLoginConfirmation } from "./login-confirmation.js";
import { stringOption } from "./option-values.js";
import { openShareLoginBreaker } from "./share-login-breaker.js";
import { shareSettingsFromConfig } from "./share-options.js";

const CREDENTIALS_HINT = `Share refused the credentials. Check the account name, the password and the region:
an account exists in one region only, and the wrong region answers exactly like a wrong password.
Nothing is retried; repeated failures lock the account for a while.
`;

const REMEMBERED_HINT = `No login was attempted: Share refused these credentials earlier and neither the password file
nor the configuration changed since. If the password was corrected on the Share side, run again
with --force (each wrong attempt counts toward Share's lockout).
`;

const command: Command = {
  usage: `(--region R | --server URL) --username NAME --password-file FILE [--serial SN] [--force] [--json]

${SHARE_FLAGS_USAGE}
  --serial SN               also show what the account's receiver slot holds for this receiver and
                            what a sync would do about it (share.replaceReceiver)
  --force                   log in even though Share refused these credentials or locked the
                            account earlier (a wrong password counts toward the lockout)
  --json                    one JSON object instead of text

The daemon's login breaker (in its state directory, stateDir or --state-dir) applies here too: a
refusal is remembered there, and a successful login lets a daemon that was refused log in again.`,
  options: {
    ...SHARE_FLAG_OPTIONS,
    serial: { type: "string" },
    json: { type: "boolean" },
    force: { type: "boolean" },
  },
  requiresShareAccount: true,
  async run(ctx) {
    const serialOption = stringOption(ctx.values, "serial");
    const serial = serialOption === undefined ? undefined : shareSerial(serialOption);
    const { config } = ctx;
    const settings = await shareSettingsFromConfig(config);
    const breaker = await openShareLoginBreaker(config, settings, ctx.log, ctx.clock);
    const { client } = breaker;
    try {
      if (ctx.values["force"] === true) {
        const state = client.loginState;
        if (state.state !== "closed" || state.notBeforeMs !== undefined) {
          ctx.log.warn(
            { breaker: state, stateFile: breaker.stateFile },
            "--force: logging in despite the remembered Share refusal; a wrong password counts toward Share's lockout",
          );
        }
        client.overrideLoginBreaker();
      }
      let accountId: string;
      try {
        ({ accountId } = await client.login(ctx.signal));
      } catch (error) {
        if (isSharebridgeError(error, "SHARE_CREDENTIALS")) {
          ctx.stderr.write(error.context["breaker"] === undefined ? CREDENTIALS_HINT : REMEMBERED_HINT);
        }
        throw error;
      } finally {
        await breaker.save();
      }
      if (
        await recordLoginConfirmation(config.stateDir, settings.origin, settings.username, ctx.log, ctx.clock)
      ) {
        ctx.log.info({ stateDir: config.stateDir }, "the daemon may log in again");
      }
      const monitoringActive = await client.isMonitoringActive(ctx.signal);
      const assignment =
        serial === undefined ? undefined : await client.describeAssignment(serial, ctx.signal);
      ctx.stdout.write(
        ctx.values["json"] === true
          ? `${JSON.stringify({ ok: true, accountId, monitoringActive, ...assignmentJson(serial, assignment) })}\n`
          : `Share login OK\n  account id   ${accountId}\n  receiver     ${receiverLine(assignment)}\n  monitoring   ${
              monitoringActive ? "active" : "not active"
            }\n`,
      );
      return EXIT.OK;
    } finally {
      await breaker.close();
    }
  },
};

function receiverLine(report: AssignmentReport | undefined): string {
  if (report === undefined) return "(give --serial SN to check a receiver)";
  return `${report.serial}: ${slotInWords(report)}`;
}

function assignmentJson(
  serial: string | undefined,
  report: AssignmentReport | undefined,
): Record<string, unknown> {
  return {
    serial: serial ?? null,
    assignment: report?.status ?? null,
    slot: report?.slot ?? null,
    action: report?.action ?? null,
    replaceReceiver: report?.setting ?? null,
    latestReadingMs: report?.latestReadingMs ?? null,
  };
}

export default command;
