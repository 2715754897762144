/**
 * The facts the status page shows, gathered once per request: the daemon's snapshot (pipeline
 * state, receiver battery, Share's last post and backlog, login state, what it waits for) and the
 * archive (the newest reading, the chart's points, held and quarantined readings). This object is
 * also `GET /status.json`, so its keys are stable (scripts rely on them). Times are ISO 8601 UTC,
 * ages whole seconds, glucose both in mg/dL and in the display unit; unknown is null, never absent:
 *
 *   now, unit ("mg/dL" | "mmol/L"), hours (3 | 24: the chart's span)
 *   newest        { at, ageSeconds, mgdl, glucose (in unit), text ("123", "6.8", "LOW", "HIGH"),
 *                   range ("urgent low" | "low" | "in range" | "high"), trend (0–9), trendArrow,
 *                   trendWords, change (text in unit, e.g. "+3" or "−0.2"; null without a previous
 *                   reading within 15 min) } | null
 *   readings      [{ at, mgdl, glucose }]: the chart's points, every postable reading of the span
 *   wallClockOffsetMinutes  the wearer's clock (the receiver's display time) minus UTC, or null
 *   receiver      { serial, connected, batteryPercent, batteryState, batteryAt }
 *   share         { lastPostAt, lastPostAgeSeconds, waiting (readings not yet on Share), held,
 *                   quarantined (readings of the last 24 h that Share holds back or refuses),
 *                   login ("ok" | "refused" | "locked-out"), loginSince, loginUntil }
 *   waitingFor    what sharebridge waits for, in words, or null
 *   phase         the daemon's phase (idle, syncing, waiting-for-share, …)
 *   archive       { on, problem (why it cannot write, or null) }
 */
import { trendWords } from "../../readings/trend-words.js";
import {
  changeText,
  type DisplayUnit,
  glucoseText,
  inUnit,
  type RangeWord,
  rangeWord,
} from "../../readings/units.js";
import { displayedGlucose } from "../../records/glucose.js";
import type { ArchivedReading } from "../../sinks/archive/archive-reader.js";
import type { DaemonSnapshot } from "../../sync/daemon-status.js";
import { isoOrNull } from "../words.js";

const HOUR_MS = 3_600_000;
/** A previous reading further back than this is no "previous reading" for the change. */
const CHANGE_WITHIN_MS = 16 * 60_000;

export const CHART_HOURS = [3, 24] as const;
export type ChartHours = (typeof CHART_HOURS)[number];

export interface NewestReading {
  readonly at: string;
  readonly ageSeconds: number;
  readonly mgdl: number;
  readonly glucose: number;
  readonly text: string;
  readonly range: RangeWord;
  readonly trend: number;
  readonly trendArrow: string;
  readonly trendWords: string;
  readonly change: string | null;
}

export interface ChartPoint {
  readonly at: string;
  readonly mgdl: number;
  readonly glucose: number;
}

export interface PageFacts {
  readonly now: string;
  readonly unit: DisplayUnit;
  readonly hours: ChartHours;
  readonly newest: NewestReading | null;
  readonly readings: readonly ChartPoint[];
  readonly wallClockOffsetMinutes: number | null;
  readonly receiver: {
    readonly serial: string | null;
    readonly connected: boolean;
    readonly batteryPercent: number | null;
    readonly batteryState: string | null;
    readonly batteryAt: string | null;
  };
  readonly share: {
    readonly lastPostAt: string | null;
    readonly lastPostAgeSeconds: number | null;
    readonly waiting: number;
    readonly held: number;
    readonly quarantined: number;
    readonly login: "ok" | "refused" | "locked-out";
    readonly loginSince: string | null;
    readonly loginUntil: string | null;
  };
  readonly waitingFor: string | null;
  readonly phase: string;
  readonly archive: { readonly on: boolean; readonly problem: string | null };
}

export interface PageInputs {
  readonly snapshot: DaemonSnapshot;
  /** The archive's readings of the last 24 hours at least (undefined: the archive is off). */
  readonly archived: readonly ArchivedReading[] | undefined;
  readonly archiveProblem: string | undefined;
  readonly unit: DisplayUnit;
  readonly hours: ChartHours;
}

interface Timed {
  readonly reading: ArchivedReading;
  readonly utcMs: number;
  readonly mgdl: number;
}

/** The postable readings with a value and a time, oldest first. */
function postable(archived: readonly ArchivedReading[]): Timed[] {
  const out: Timed[] = [];
  for (const reading of archived) {
    if (reading.skip !== undefined || reading.utcMs === undefined || reading.mgdl === undefined) continue;
    out.push({ reading, utcMs: reading.utcMs, mgdl: reading.mgdl });
  }
  return out.sort((a, b) => a.utcMs - b.utcMs);
}

function newestOf(points: readonly Timed[], unit: DisplayUnit, nowMs: number): NewestReading | null {
  const last = points.at(-1);
  if (last === undefined) return null;
  const previous = points.at(-2);
  const words = trendWords(last.reading.trend);
  return {
    at: new Date(last.utcMs).toISOString(),
    ageSeconds: Math.round((nowMs - last.utcMs) / 1000),
    mgdl: last.mgdl,
    glucose: inUnit(last.mgdl, unit),
    text: glucoseText(last.mgdl, unit),
    range: rangeWord(last.mgdl),
    trend: last.reading.trend,
    trendArrow: words.arrow,
    trendWords: words.words,
    change:
      previous === undefined || last.utcMs - previous.utcMs > CHANGE_WITHIN_MS
        ? null
        : (changeText(last.mgdl, previous.mgdl, unit) ?? null),
  };
}

/** The newest reading from the snapshot alone (the archive is off): no previous one to compare. */
function newestFromSnapshot(snapshot: DaemonSnapshot, unit: DisplayUnit): NewestReading | null {
  const last = snapshot.lastReading;
  const mgdl = last === undefined ? undefined : displayedGlucose(last.glucose);
  if (last === undefined || mgdl === undefined) return null;
  const words = trendWords(last.trend);
  return {
    at: new Date(last.utcMs).toISOString(),
    ageSeconds: Math.round((snapshot.nowMs - last.utcMs) / 1000),
    mgdl,
    glucose: inUnit(mgdl, unit),
    text: glucoseText(mgdl, unit),
    range: rangeWord(mgdl),
    trend: last.trend,
    trendArrow: words.arrow,
    trendWords: words.words,
    change: null,
  };
}

function loginOf(snapshot: DaemonSnapshot): PageFacts["share"]["login"] {
  switch (snapshot.shareLogin?.state) {
    case "credentials-rejected":
      return "refused";
    case "locked-out":
      return "locked-out";
    default:
      return "ok";
  }
}

export function pageFacts(inputs: PageInputs): PageFacts {
  const { snapshot, unit, hours } = inputs;
  const nowMs = snapshot.nowMs;
  // A reading stamped a little after the daemon's clock (the receiver's clock runs ahead of the
  // anchor by up to a second) still counts; anything later is not "now" yet.
  const points = (inputs.archived === undefined ? [] : postable(inputs.archived)).filter(
    (p) => p.utcMs <= nowMs + 60_000,
  );
  const fromMs = nowMs - hours * HOUR_MS;
  const newest =
    inputs.archived === undefined ? newestFromSnapshot(snapshot, unit) : newestOf(points, unit, nowMs);
  const last = points.at(-1)?.reading;
  const offsetMs =
    last?.displayMs === undefined || last.utcMs === undefined ? undefined : last.displayMs - last.utcMs;
  const recent = (inputs.archived ?? []).filter((r) => (r.utcMs ?? 0) >= nowMs - 24 * HOUR_MS);
  const login = snapshot.shareLogin;
  return {
    now: new Date(nowMs).toISOString(),
    unit,
    hours,
    newest,
    readings: points
      .filter((p) => p.utcMs >= fromMs)
      .map((p) => ({ at: new Date(p.utcMs).toISOString(), mgdl: p.mgdl, glucose: inUnit(p.mgdl, unit) })),
    wallClockOffsetMinutes: offsetMs === undefined ? null : Math.round(offsetMs / 60_000),
    receiver: {
      serial: snapshot.serial ?? null,
      connected: snapshot.phase !== "waiting-for-receiver" && snapshot.phase !== "starting",
      batteryPercent: snapshot.battery?.percent ?? null,
      batteryState: snapshot.battery?.state ?? null,
      batteryAt: isoOrNull(snapshot.battery?.atMs),
    },
    share: {
      lastPostAt: isoOrNull(snapshot.lastPostUtcMs),
      lastPostAgeSeconds:
        snapshot.lastPostUtcMs === undefined ? null : Math.round((nowMs - snapshot.lastPostUtcMs) / 1000),
      waiting: snapshot.backlog,
      held: recent.filter((r) => r.outcome === "held").length,
      quarantined: recent.filter((r) => r.outcome === "quarantined").length,
      login: loginOf(snapshot),
      loginSince: login?.state === "closed" ? null : isoOrNull(login?.sinceMs),
      loginUntil: isoOrNull(login?.untilMs),
    },
    waitingFor: snapshot.waitingFor ?? null,
    phase: snapshot.phase,
    archive: { on: inputs.archived !== undefined, problem: inputs.archiveProblem ?? null },
  };
}
