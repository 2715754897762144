/**
 * `sharebridge sync [--backfill-hours N] [--dry-run]`: one sync cycle, then exit with a documented
 * code (README, "Exit codes"): 0 done; 2 configuration; 3 receiver; 4 Share credentials or
 * assignment; 5 Share unavailable; 6 partial (some readings posted, the rest next time).
 */
import { buildSystem } from "../app/system.js";
import { describeError, isSharebridgeError, SharebridgeError } from "../errors.js";
import { formatShareDate } from "../share/dates.js";
import { INTERACTIVE_RETRY } from "../share/settings.js";
import { type CycleReport, planOnly, runCycle } from "../sync/cycle.js";
import { decideOnFailure } from "../sync/failure-policy.js";
import { realDaemonClock } from "../sync/scheduler.js";
import { type LastCycle, withLastCycle } from "../sync/state.js";
import { acquireStateLock } from "../sync/state-lock.js";
import { countOf } from "../util/plural.js";
import type { Command } from "./command.js";
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_USAGE } from "./config-options.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { progressBar } from "./progress-bar.js";

function summary(report: CycleReport): string {
  const skipped = Object.entries(report.skipped)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${why}`)
    .join(", ");
  const lines = [
    `receiver ${report.serial}: ${countOf(report.newRecords, "new record")}${report.backfillRecords > 0 ? ` (${report.backfillRecords} backfilled)` : ""}, ${countOf(report.pagesRead, "page")} read`,
    report.outcome === "dry-run"
      ? `would post ${countOf(report.wouldPost.length, "reading")}`
      : `posted ${countOf(report.posted, "reading")} in ${countOf(report.posts, "batch", "batches")}`,
  ];
  if (skipped !== "") lines.push(`not posted: ${skipped}`);
  if (report.quarantined > 0) {
    lines.push(
      `quarantined: ${countOf(report.quarantined, "reading")} Share keeps refusing (tried again daily)`,
    );
  }
  if (report.held > 0) lines.push(`held: ${countOf(report.held, "reading")} Share called future (next run)`);
  for (const d of report.discontinuities) lines.push(`history: ${d.kind}`);
  return `${lines.join("\n")}\n`;
}

/** A cron sync or `share login` may hold the state directory for a few seconds; the daemon holds it always. */
const SYNC_LOCK = {
  command: "sync",
  waitMs: 10_000,
  fix: "the daemon already posts every reading; to run a one-shot sync instead, stop it first (sudo systemctl stop sharebridge)",
};

const command: Command = {
  usage: `[--backfill-hours N] [--dry-run] [options]

  --dry-run                 print what would be posted (JSON lines) and change nothing
${CONFIG_FLAGS_USAGE}`,
  options: { ...CONFIG_FLAG_OPTIONS, "dry-run": { type: "boolean" } },
  requiresShareAccount: true,
  async run(context) {
    const { config } = context;
    const dryRun = context.values["dry-run"] === true;
    const lock = await acquireStateLock(config.stateDir, {
      ...SYNC_LOCK,
      log: context.log,
      signal: context.signal,
    });
    // One-shot: a few quick retries, not the daemon's minutes of back-off. The command's wall clock
    // (a test's fixed one) is the cycle's.
    const clock = { now: () => context.clock.now(), sleep: realDaemonClock.sleep };
    const system = await buildSystem(config, { log: context.log, retry: INTERACTIVE_RETRY, clock }).catch(
      async (error: unknown) => {
        await lock.release();
        throw error;
      },
    );
    const stderrIsTty = (context.stderr as { isTTY?: boolean }).isTTY === true;
    const bar = stderrIsTty ? progressBar(context.stderr, "reading pages") : undefined;
    let session: Awaited<ReturnType<typeof system.openReceiver>> | undefined;
    // A one-shot sync (cron) leaves its cycle in the state file, as the daemon does, for `status`.
    const recordCycle = (cycle: Omit<LastCycle, "atMs">) =>
      system.store
        .update((state) => withLastCycle(state, { ...cycle, atMs: context.clock.now() }))
        .catch((error: unknown) => context.log.warn({ err: error }, "could not record the cycle"));
    try {
      const login = system.share.loginState;
      if (!dryRun && login.state !== "closed" && !(await system.share.operatorActed())) {
        throw new SharebridgeError(
          login.state === "locked-out" ? "SHARE_LOCKED_OUT" : "SHARE_CREDENTIALS",
          login.state === "locked-out"
            ? `Share locked the account; no login before ${new Date(login.untilMs).toISOString()}`
            : "Share refused these credentials earlier; fix them or run `sharebridge share login` first",
          { reason: login.reason },
        );
      }
      session = await system.openReceiver(context.signal);
      const options = { ...system.settings, signal: context.signal, onProgress: bar?.update };
      const deps = system.cycleDeps(session);
      const report = dryRun ? await planOnly(deps, options) : await runCycle(deps, options);
      bar?.done();
      if (dryRun) {
        for (const egv of report.wouldPost) {
          context.stdout.write(
            `${JSON.stringify({
              ST: formatShareDate(egv.stSeconds),
              DT: formatShareDate(egv.dtSeconds),
              TA: egv.taSeconds,
              Value: egv.glucose,
              Trend: egv.trend,
            })}\n`,
          );
        }
      }
      context.stderr.write(summary(report));
      if (!dryRun) await recordCycle({ outcome: report.outcome, backlog: report.backlog });
      return EXIT.OK;
    } catch (error) {
      bar?.done();
      const backlog = isSharebridgeError(error) ? error.context["backlog"] : undefined;
      await recordCycle({
        outcome: decideOnFailure(error, { shareFailures: 0, readingIntervalSeconds: 0, jitter: 0 }).outcome,
        error: describeError(error),
        backlog: typeof backlog === "number" ? backlog : undefined,
      });
      const posted = isSharebridgeError(error) ? error.context["posted"] : undefined;
      // Interrupted is what the caller must hear first; what was acknowledged before stays posted.
      if (isSharebridgeError(error, "ABORTED")) {
        context.log.warn({ posted: typeof posted === "number" ? posted : 0 }, "sync interrupted");
        return EXIT.INTERRUPTED;
      }
      if (typeof posted === "number" && posted > 0) {
        context.log.error({ code: (error as SharebridgeError).code, posted }, (error as Error).message);
        return EXIT.PARTIAL;
      }
      if (!isSharebridgeError(error)) throw error;
      context.log.error({ code: error.code, context: error.context }, error.message);
      return exitCodeFor(error);
    } finally {
      await system.share.persist().catch(() => undefined);
      await session?.close();
      await system.close();
      await lock.release();
    }
  },
};

export default command;
