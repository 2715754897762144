/**
 * A small terminal chart of glucose readings over time (for `sharebridge demo` and bug reports):
 * a fixed grid of characters, one column per time slot (the slot's last reading), rows from
 * 40 to 400 mg/dL with the usual 70–180 target range marked on the axis.
 */
export interface ChartPoint {
  readonly tMs: number;
  readonly mgdl: number;
}

export interface ChartOptions {
  readonly width?: number;
  readonly height?: number;
  readonly fromMs: number;
  readonly toMs: number;
  /** Formats a time for the x axis; default HH:MM in UTC. */
  readonly formatTime?: (ms: number) => string;
}

const MIN = 40;
const MAX = 400;

function rowOf(mgdl: number, height: number): number {
  const clamped = Math.min(MAX, Math.max(MIN, mgdl));
  return Math.round(((clamped - MIN) / (MAX - MIN)) * (height - 1));
}

export function renderGlucoseChart(points: readonly ChartPoint[], options: ChartOptions): string {
  const width = options.width ?? 60;
  const height = options.height ?? 12;
  const span = Math.max(1, options.toMs - options.fromMs);
  const columns: (number | undefined)[] = new Array(width).fill(undefined);
  for (const point of [...points].sort((a, b) => a.tMs - b.tMs)) {
    if (point.tMs < options.fromMs || point.tMs > options.toMs) continue;
    const column = Math.min(width - 1, Math.floor(((point.tMs - options.fromMs) / span) * width));
    columns[column] = point.mgdl;
  }
  const low = rowOf(70, height);
  const high = rowOf(180, height);
  const lines: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    const inRange = row >= low && row <= high;
    const marks: Record<number, number> = { [height - 1]: MAX, [high]: 180, [low]: 70, 0: MIN };
    const mark = marks[row];
    const label = mark === undefined ? "    " : String(mark).padStart(4);
    let line = `${label} ${inRange ? "┃" : "│"}`;
    for (const mgdl of columns) line += mgdl !== undefined && rowOf(mgdl, height) === row ? "•" : " ";
    lines.push(line.trimEnd());
  }
  const format = options.formatTime ?? ((ms: number) => new Date(ms).toISOString().slice(11, 16));
  const from = format(options.fromMs);
  const to = format(options.toMs);
  lines.push(`     └${"─".repeat(width)}`);
  lines.push(`      ${from}${" ".repeat(Math.max(1, width - from.length - to.length))}${to}`);
  return `${lines.join("\n")}\n`;
}
