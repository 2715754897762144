/**
 * `sharebridge doctor`: every check in order, each bounded in time, then one line per check:
 *
 *   ok    receiver device      /dev/serial/by-id/usb-Dexcom… (found by USB id 22a3:0047 via udev)
 *   FAIL  permissions          cannot read and write /dev/ttyACM0 (group dialout, …): pi is not in group dialout
 *         fix: sudo usermod -aG dialout pi, then log out and back in
 *   warn  clock                not synchronised (…)
 *         fix: …
 *   skip  receiver assignment  needs a successful Share login
 *
 * Plain ASCII markers (ok, warn, FAIL, skip) read the same on any terminal, in a log and in a bug
 * report. Checks run one after another because later ones use what earlier ones found (the device,
 * the serial, the login). A check that throws or overruns its time is reported as failed; the
 * others still run. Whatever was opened (the receiver emulator, the Share client) is released at
 * the end, and the password is scrubbed from every line as a last line of defence.
 */
import { asSharebridgeError, SharebridgeError } from "../../errors.js";
import { countOf } from "../../util/plural.js";
import { printable } from "../words.js";
import { clockCheck } from "./clock.js";
import { deviceCheck, permissionsCheck } from "./device.js";
import { receiverCheck } from "./receiver.js";
import { passwordCheck, shareAccountCheck } from "./share.js";
import { assignmentCheck, loginCheck } from "./share-login.js";
import { diskSpaceCheck, stateDirectoryCheck } from "./storage.js";
import type { Check, CheckContext, CheckOutcome, CheckResult, DoctorFacts } from "./types.js";
import { modemManagerCheck, udevRuleCheck } from "./udev.js";

/** In the order they run and print. */
export const DOCTOR_CHECKS: readonly Check[] = [
  deviceCheck,
  permissionsCheck,
  udevRuleCheck,
  modemManagerCheck,
  receiverCheck,
  clockCheck,
  stateDirectoryCheck,
  diskSpaceCheck,
  shareAccountCheck,
  passwordCheck,
  loginCheck,
  assignmentCheck,
];

/** A check's own bounds are tighter (receiver probe 8 s, Share 45 s); this catches anything else. */
export const CHECK_DEADLINE_MS = 60_000;

export interface DoctorReport {
  readonly results: readonly CheckResult[];
  readonly failed: number;
  readonly warnings: number;
}

export interface RunDoctorOptions extends Omit<CheckContext, "facts"> {
  readonly checks?: readonly Check[];
  readonly checkDeadlineMs?: number;
}

async function runOne(check: Check, context: CheckContext, deadlineMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: "fail",
          finding: `did not finish within ${deadlineMs < 1000 ? `${deadlineMs} ms` : `${Math.round(deadlineMs / 1000)} s`}`,
          fix: "run doctor again; if it hangs again, run it with --log-level debug and report the output",
        }),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([check.run(context), overrun]);
  } catch (error) {
    const typed = asSharebridgeError(error);
    context.log.debug({ err: error, check: check.id }, "doctor check failed");
    return {
      status: "fail",
      finding: typed.message,
      fix: "correct what the message names and run doctor again",
    };
  } finally {
    clearTimeout(timer);
  }
}

export async function runDoctor(options: RunDoctorOptions): Promise<DoctorReport> {
  const facts: DoctorFacts = {};
  const context: CheckContext = { ...options, facts };
  const results: CheckResult[] = [];
  try {
    for (const check of options.checks ?? DOCTOR_CHECKS) {
      if (options.signal.aborted) throw new SharebridgeError("ABORTED", "doctor was interrupted", {});
      const outcome = await runOne(check, context, options.checkDeadlineMs ?? CHECK_DEADLINE_MS);
      results.push({ id: check.id, label: check.label, ...outcome });
    }
  } finally {
    await facts.client?.close().catch(() => undefined);
    await facts.opener?.release().catch(() => undefined);
  }
  const secret = facts.password?.reveal();
  const scrub = (text: string) =>
    secret === undefined || secret === "" ? text : text.split(secret).join("[redacted]");
  const scrubbed = results.map((r) => ({
    ...r,
    finding: scrub(r.finding),
    fix: r.fix === undefined ? undefined : scrub(r.fix),
  }));
  return {
    results: scrubbed,
    failed: scrubbed.filter((r) => r.status === "fail").length,
    warnings: scrubbed.filter((r) => r.status === "warn").length,
  };
}

const MARKERS: Readonly<Record<CheckResult["status"], string>> = {
  ok: "ok",
  warn: "warn",
  fail: "FAIL",
  skip: "skip",
};

export function formatDoctor(report: DoctorReport): string {
  const width = Math.max(...report.results.map((r) => r.label.length), 0) + 2;
  const indent = " ".repeat(2 + 6 + width);
  let out = "";
  for (const r of report.results) {
    out += `  ${MARKERS[r.status].padEnd(6)}${r.label.padEnd(width)}${printable(r.finding)}\n`;
    if (r.fix !== undefined && (r.status === "fail" || r.status === "warn"))
      out += `${indent}fix: ${printable(r.fix)}\n`;
  }
  const warnings = report.warnings === 0 ? "" : `, ${countOf(report.warnings, "warning")}`;
  out +=
    report.failed === 0
      ? `\nNo problems found${warnings}.\n`
      : `\n${countOf(report.failed, "check")} failed${warnings}.\n`;
  return out;
}
