/**
 * `sharebridge status` for people: one aligned line per fact, ages in words, then what needs
 * attention. The numbers behind each line are in the `--json` document (status.ts).
 */

import { type DisplayUnit, glucoseText } from "../readings/units.js";
import { displayedGlucose } from "../records/glucose.js";
import { countOf } from "../util/plural.js";
import { authInWords } from "./auth-state.js";
import type { StatusReport } from "./status.js";
import { ageInWords, offsetInWords, printable, utcInWords } from "./words.js";

const LABEL_WIDTH = 14;
const NONE = "—";

/** Values may carry text from the state file or the receiver: no control character reaches the terminal. */
function line(label: string, value: string): string {
  return `${label.padEnd(LABEL_WIDTH)}${printable(value)}\n`;
}

function receiverLine(report: StatusReport): string {
  const r = report.receiver;
  if (!r.present) {
    const last = report.serial === null ? "" : ` (last synced: ${report.serial})`;
    return r.inUse ? `in use by another program, normally the running daemon${last}` : `not answering${last}`;
  }
  const firmware =
    r.firmwareVersion === null || r.firmwareVersion === "" ? "" : `, firmware ${r.firmwareVersion}`;
  return `${r.serial ?? "?"}, ${r.generation ?? "?"}${firmware}, on ${r.device ?? "?"}`;
}

function batteryLine(report: StatusReport): string {
  const { batteryPercent, batteryState, present } = report.receiver;
  if (!present || (batteryPercent === null && batteryState === null)) return NONE;
  const level = batteryPercent === null ? "level unknown" : `${batteryPercent} %`;
  return batteryState === null ? level : `${level}, ${batteryState}`;
}

function offsetLine(report: StatusReport): string {
  const offset = report.clockOffset;
  if (offset === null) return NONE;
  if (offset.seconds === 0) return "0 s: receiver system clock on true time";
  const direction = offset.seconds > 0 ? "behind" : "ahead of";
  return `${offsetInWords(offset.seconds)}: receiver system clock ${direction} true time`;
}

/** The last reading's value: mg/dL as the receiver stored it, or converted to `unit`. */
function readingValue(glucose: number, unit: DisplayUnit): string {
  if (unit === "mg/dL") return `${glucose} mg/dL`;
  const mgdl = displayedGlucose(glucose);
  return mgdl === undefined ? `sensor state ${glucose}` : `${glucoseText(mgdl, unit)} ${unit}`;
}

/** The report in lines; glucose in `unit` (display.units). */
export function formatStatus(report: StatusReport, unit: DisplayUnit = "mg/dL"): string {
  const nowMs = Date.parse(report.now);
  const when = (iso: string) => {
    const ms = Date.parse(iso);
    return `${ageInWords(ms, nowMs)} (${utcInWords(ms)})`;
  };
  const reading = report.lastReading;
  const cycle = report.lastCycle;
  let out = "";
  out += line("Receiver", receiverLine(report));
  out += line("Battery", batteryLine(report));
  out += line(
    "Last reading",
    reading === null ? NONE : `${readingValue(reading.glucose, unit)}, ${reading.trend}, ${when(reading.at)}`,
  );
  out += line("Last post", report.lastPost === null ? NONE : when(report.lastPost.at));
  out += line("Backlog", report.backlog === null ? NONE : countOf(report.backlog, "reading"));
  if (report.held !== null) {
    out += line("Held", `readings Share called future, ${countOf(report.held.cycles, "cycle")} in a row`);
  }
  if (report.quarantined.length > 0) {
    out += line("Quarantined", `${countOf(report.quarantined.length, "reading")} Share keeps refusing`);
    for (const q of report.quarantined.slice(0, 5)) {
      out += line("", `${q.glucose} mg/dL at ${q.st ?? "?"}: ${q.fault}`);
    }
  }
  out += line("Clock offset", offsetLine(report));
  out += line(
    "Share login",
    authInWords(
      {
        ...report.auth,
        sinceMs: report.auth.since === null ? null : Date.parse(report.auth.since),
        untilMs: report.auth.until === null ? null : Date.parse(report.auth.until),
      },
      nowMs,
    ),
  );
  out += line("Last cycle", cycle === null ? NONE : `${cycle.outcome}, ${when(cycle.at)}`);
  out += line(
    "State file",
    `${report.stateFile.path}${report.stateFile.state === "ok" ? "" : ` (${report.stateFile.state})`}`,
  );
  if (report.findings.length > 0) {
    out += "\nNeeds attention:\n";
    for (const finding of report.findings) out += `  - ${printable(finding)}\n`;
  }
  return out;
}
