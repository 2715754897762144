/**
 * `sharebridge history [--since ISO] [--format table|json|csv] [--units mg/dL|mmol/L] [--serial SN]`:
 * the local history (the archive sink's files in `<stateDir>/archive`, sinks/archive/), read without
 * the daemon and without changing anything.
 *
 * - table (default): one line per reading, at the wearer's clock (the receiver's display time), with
 *   the value in the display unit, the trend in words and what became of it on Share.
 * - json: one object per line; csv: a header, then one row per reading. Both carry the numbers:
 *   serial, recordType, index, systemSeconds, utc, display (the wearer's clock, no zone), glucose
 *   (in `unit`; null for a sensor state), unit, mgdl, storedGlucose, trend (0–9), trendName, skip,
 *   outcome (stored, duplicate, held, quarantined, skipped, or null: not yet), fault, outcomeAt.
 *
 * Readings come in the order they were archived (oldest first per receiver). Default: the last 24 h.
 */
import { join } from "node:path";
import { outcomeText, trendText, valueText, wallTimeText } from "../observe/history-words.js";
import { DISPLAY_UNITS, type DisplayUnit, inUnit } from "../readings/units.js";
import { trendName } from "../share/trend.js";
import { ARCHIVE_DIR_NAME } from "../sinks/archive/archive-files.js";
import { type ArchivedReading, readArchive } from "../sinks/archive/archive-reader.js";
import { countOf } from "../util/plural.js";
import type { Command } from "./command.js";
import { csvLines, jsonLine, parseSince, type Row } from "./data-lines.js";
import { EXIT } from "./exit-codes.js";
import { oneOfOption, stringOption } from "./option-values.js";

const FORMATS = ["table", "json", "csv"] as const;
const DAY_MS = 86_400_000;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function row(reading: ArchivedReading, unit: DisplayUnit): Row {
  return {
    serial: reading.serial,
    recordType: reading.recordType,
    index: reading.index,
    systemSeconds: reading.systemSeconds,
    utc: iso(reading.utcMs),
    display: reading.displayMs === undefined ? null : new Date(reading.displayMs).toISOString().slice(0, 19),
    glucose: reading.mgdl === undefined ? null : inUnit(reading.mgdl, unit),
    unit,
    mgdl: reading.mgdl ?? null,
    storedGlucose: reading.storedGlucose,
    trend: reading.trend,
    trendName: trendName(reading.trend),
    skip: reading.skip ?? null,
    outcome: reading.outcome ?? null,
    fault: reading.fault ?? null,
    outcomeAt: iso(reading.outcomeAtMs),
  };
}

function table(readings: readonly ArchivedReading[], unit: DisplayUnit): string[] {
  const serials = new Set(readings.map((r) => r.serial));
  const rows = readings.map((r) => [
    ...(serials.size > 1 ? [r.serial] : []),
    wallTimeText(r),
    `${valueText(r, unit)}`,
    trendText(r.trend),
    outcomeText(r),
  ]);
  const header = [...(serials.size > 1 ? ["receiver"] : []), "time", unit, "trend", "Share"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")}\n`;
  return [line(header), ...rows.map(line)];
}

const command: Command = {
  usage: `[--since ISO] [--format ${FORMATS.join("|")}] [--units ${DISPLAY_UNITS.join("|")}] [--serial SN] [options]

  --since ISO      readings taken at or after this time (default: the last 24 hours)
  --format F       table (default), json (one object per line) or csv
  --units U        glucose units (default: display.units)
  --serial SN      one receiver only
  --state-dir DIR  the state directory holding archive/ (default: stateDir)`,
  options: {
    since: { type: "string" },
    format: { type: "string" },
    units: { type: "string" },
    serial: { type: "string" },
    "state-dir": { type: "string" },
  },
  async run(context) {
    const sinceMs = parseSince(context.values["since"]) ?? context.clock.now() - DAY_MS;
    const format = oneOfOption(context.values, "format", FORMATS) ?? "table";
    const unit = oneOfOption(context.values, "units", DISPLAY_UNITS) ?? context.config.display.units;
    const serial = stringOption(context.values, "serial");
    const dir = join(context.config.stateDir, ARCHIVE_DIR_NAME);
    const { readings, badLines } = await readArchive(dir, { sinceMs, serial });
    if (badLines > 0) {
      context.log.warn(
        { lines: badLines },
        "history: damaged lines skipped (a torn last line after a crash is one)",
      );
    }
    const rows = readings.map((r) => row(r, unit));
    const lines =
      format === "json" ? rows.map(jsonLine) : format === "csv" ? csvLines(rows) : table(readings, unit);
    for (const line of lines) context.stdout.write(line);
    if (format === "table") {
      context.stderr.write(
        readings.length === 0
          ? `no readings in ${dir} since ${new Date(sinceMs).toISOString()}\n`
          : `${countOf(readings.length, "reading")} since ${new Date(sinceMs).toISOString()}\n`,
      );
    }
    return EXIT.OK;
  },
};

export default command;
