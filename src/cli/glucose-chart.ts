/**
 * A small terminal chart of glucose readings over time (for `sharebridge demo` and bug reports):
 * a fixed grid of characters, one column per time slot (the slot's last reading), rows from 40 to
 * 400 mg/dL, the y axis labelled with its unit and the usual 70–180 target range marked on it.
 *
 * Rows are value bands that never straddle a target boundary: the rows below the target range
 * hold 40–69, the target rows 70–180, the rows above 181–400, each zone divided evenly. So a 58
 * mg/dL low is always drawn below the marked range, and a 185 above it.
 */
import {
  type DisplayUnit,
  inUnit,
  numberText,
  TARGET_HIGH_MG_DL,
  TARGET_LOW_MG_DL,
} from "../readings/units.js";

export interface ChartPoint {
  readonly tMs: number;
  readonly mgdl: number;
}

export interface ChartOptions {
  readonly width?: number;
  readonly height?: number;
  readonly fromMs: number;
  readonly toMs: number;
  /**
   * Formats a time for the x axis; `withDate` is asked for when a day or more is shown, so that
   * the two ends differ. Default: the host's local time, `HH:MM` or `MM-DD HH:MM`.
   */
  readonly formatTime?: (ms: number, withDate: boolean) => string;
  /** The value axis's unit (display.units). Default mg/dL. */
  readonly unit?: DisplayUnit;
}

const MIN = 40;
const MAX = 400;
const LOW = TARGET_LOW_MG_DL;
const HIGH = TARGET_HIGH_MG_DL;
const DAY_MS = 86_400_000;

const two = (n: number) => String(n).padStart(2, "0");

/** The host's local time: "14:05", or "11-24 14:05" with the date. */
export function localTimeLabel(ms: number, withDate: boolean): string {
  const d = new Date(ms);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return withDate ? `${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}` : time;
}

interface Zones {
  readonly below: number;
  readonly within: number;
  readonly above: number;
}

/** How many rows each zone gets: below, within and above the target range (each at least one). */
function zones(height: number): Zones {
  const below = Math.max(1, Math.round(height * 0.2));
  const above = Math.max(1, Math.round(height * 0.35));
  return { below, within: Math.max(1, height - below - above), above };
}

/** The row (0 = bottom) of a value. */
function rowOf(mgdl: number, { below, within, above }: Zones): number {
  const v = Math.min(MAX, Math.max(MIN, mgdl));
  const slot = (from: number, to: number, rows: number) =>
    Math.min(rows - 1, Math.floor(((v - from) / (to - from)) * rows));
  if (v < LOW) return slot(MIN, LOW, below);
  if (v <= HIGH) return below + slot(LOW, HIGH, within);
  return below + within + slot(HIGH, MAX, above);
}

export function renderGlucoseChart(points: readonly ChartPoint[], options: ChartOptions): string {
  const width = options.width ?? 60;
  const rows = zones(options.height ?? 12);
  const { below, within } = rows;
  const height = below + within + rows.above;
  const span = Math.max(1, options.toMs - options.fromMs);
  const columns: (number | undefined)[] = new Array(width).fill(undefined);
  for (const point of [...points].sort((a, b) => a.tMs - b.tMs)) {
    if (point.tMs < options.fromMs || point.tMs > options.toMs) continue;
    const column = Math.min(width - 1, Math.floor(((point.tMs - options.fromMs) / span) * width));
    columns[column] = point.mgdl;
  }
  const labels: Record<number, number> = {
    [height - 1]: MAX,
    [below + within - 1]: HIGH,
    [below]: LOW,
    0: MIN,
  };
  const unit = options.unit ?? "mg/dL";
  const lines: string[] = [` ${unit}`];
  for (let row = height - 1; row >= 0; row--) {
    const inRange = row >= below && row < below + within;
    const mark = labels[row];
    const label = mark === undefined ? "    " : numberText(inUnit(mark, unit), unit).padStart(4);
    let line = `${label} ${inRange ? "┃" : "│"}`;
    for (const mgdl of columns) line += mgdl !== undefined && rowOf(mgdl, rows) === row ? "•" : " ";
    lines.push(line.trimEnd());
  }
  const format = options.formatTime ?? localTimeLabel;
  let withDate = span >= DAY_MS - 60_000;
  if (!withDate && format(options.fromMs, false) === format(options.toMs, false)) withDate = true;
  const from = format(options.fromMs, withDate);
  const to = format(options.toMs, withDate);
  lines.push(`     └${"─".repeat(width)}`);
  lines.push(`      ${from}${" ".repeat(Math.max(1, width - from.length - to.length))}${to}`);
  return `${lines.join("\n")}\n`;
}
