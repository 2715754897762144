/**
 * The status page's chart: server-rendered SVG, no script, no external request. One dot per reading,
 * the target range as a band, the unit on the value axis and times of day (the wearer's clock: the
 * receiver's display time) on the time axis.
 *
 *   mg/dL ┌──────────────────────────────────────┐
 *     250 ┤                          •  •        │
 *     180 ┤▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒•▒▒▒▒▒▒▒▒▒▒▒▒▒▒│  target range band
 *      70 ┤▒▒▒▒•▒•▒▒▒•▒▒▒▒▒▒▒•▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒│
 *      40 └┬────────┬────────┬────────┬──────────┘
 *        13:00    14:00    15:00    16:00
 *
 * The value axis runs from 40 mg/dL to 250, or higher (up to 400) when a reading needs it, so the
 * usual range gets most of the height. Dots below the range are drawn red, above it amber, and the
 * band and the axis labels say the same without colour.
 */
import {
  type DisplayUnit,
  inUnit,
  numberText,
  TARGET_HIGH_MG_DL,
  TARGET_LOW_MG_DL,
} from "../../readings/units.js";
import { escapeHtml } from "./html-text.js";
import type { ChartPoint } from "./page-facts.js";

// A phone's width, so that the labels stay readable when the chart is scaled to fit.
const WIDTH = 480;
const HEIGHT = 270;
const LEFT = 42;
const RIGHT = 10;
const TOP = 32;
const BOTTOM = 28;
const MIN_MG_DL = 40;
const MINUTE_MS = 60_000;

export interface ChartInput {
  readonly points: readonly ChartPoint[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly unit: DisplayUnit;
  /** The wearer's clock minus UTC, minutes; null: times of day are shown in UTC. */
  readonly wallClockOffsetMinutes: number | null;
}

/** A number for an SVG attribute: at most one decimal. */
const n = (value: number): string => String(Math.round(value * 10) / 10);

/** "14:05" at the wearer's clock (or UTC). */
export function timeOfDay(utcMs: number, offsetMinutes: number | null): string {
  return new Date(utcMs + (offsetMinutes ?? 0) * MINUTE_MS).toISOString().slice(11, 16);
}

function pointClass(mgdl: number): string {
  if (mgdl < TARGET_LOW_MG_DL) return "p low";
  if (mgdl > TARGET_HIGH_MG_DL) return "p high";
  return "p";
}

export function chartSvg(input: ChartInput): string {
  const { points, fromMs, toMs, unit } = input;
  const highest = Math.max(0, ...points.map((p) => p.mgdl));
  const maxMgdl = Math.min(400, Math.max(250, Math.ceil((highest + 10) / 50) * 50));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (ms: number) => LEFT + ((ms - fromMs) / Math.max(1, toMs - fromMs)) * plotW;
  const y = (mgdl: number) =>
    TOP +
    plotH -
    ((Math.min(maxMgdl, Math.max(MIN_MG_DL, mgdl)) - MIN_MG_DL) / (maxMgdl - MIN_MG_DL)) * plotH;

  const parts: string[] = [];
  const hours = Math.round((toMs - fromMs) / 3_600_000);
  parts.push(
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Glucose over the last ${hours} hours: ${points.length} readings, target range ${numberText(inUnit(TARGET_LOW_MG_DL, unit), unit)} to ${numberText(inUnit(TARGET_HIGH_MG_DL, unit), unit)} ${unit}">`,
  );
  // The target range, and the plot's frame.
  parts.push(
    `<rect class="band" x="${LEFT}" y="${n(y(TARGET_HIGH_MG_DL))}" width="${plotW}" height="${n(y(TARGET_LOW_MG_DL) - y(TARGET_HIGH_MG_DL))}"/>`,
  );
  parts.push(`<rect class="frame" x="${LEFT}" y="${TOP}" width="${plotW}" height="${plotH}"/>`);
  // Value axis: the unit on top, the range's limits and a few round values.
  parts.push(`<text class="unit" x="2" y="16">${escapeHtml(unit)}</text>`);
  for (const mgdl of [MIN_MG_DL, TARGET_LOW_MG_DL, TARGET_HIGH_MG_DL, 250, 300, 400]) {
    if (mgdl > maxMgdl) continue;
    const label = numberText(inUnit(mgdl, unit), unit);
    const target = mgdl === TARGET_LOW_MG_DL || mgdl === TARGET_HIGH_MG_DL;
    parts.push(
      `<line class="${target ? "grid target" : "grid"}" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${n(y(mgdl))}" y2="${n(y(mgdl))}"/>`,
      `<text class="ylabel" x="${LEFT - 5}" y="${n(y(mgdl) + 4)}">${label}</text>`,
    );
  }
  // Time axis: round times of day at the wearer's clock.
  const offset = input.wallClockOffsetMinutes;
  const stepMs = (hours <= 6 ? 60 : 240) * MINUTE_MS;
  const offsetMs = (offset ?? 0) * MINUTE_MS;
  for (let t = Math.ceil((fromMs + offsetMs) / stepMs) * stepMs - offsetMs; t <= toMs; t += stepMs) {
    parts.push(
      `<line class="tick" x1="${n(x(t))}" x2="${n(x(t))}" y1="${TOP + plotH}" y2="${TOP + plotH + 5}"/>`,
      `<text class="xlabel" x="${n(x(t))}" y="${HEIGHT - 6}">${timeOfDay(t, offset)}</text>`,
    );
  }
  if (offset === null) parts.push(`<text class="xlabel" x="${WIDTH - RIGHT - 16}" y="16">UTC</text>`);
  // The readings.
  const radius = hours <= 6 ? 4 : 2.4;
  for (const point of points) {
    const ms = Date.parse(point.at);
    parts.push(
      `<circle class="${pointClass(point.mgdl)}" cx="${n(x(ms))}" cy="${n(y(point.mgdl))}" r="${radius}" data-mgdl="${point.mgdl}"><title>${timeOfDay(ms, offset)} ${numberText(point.glucose, unit)}</title></circle>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}
