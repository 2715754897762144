/**
 * Sensor sessions: when sensors were inserted and removed, their warm-up, calibrations, "??"
 * episodes, signal gaps, and the sensor's own error and raw-count scale.
 *
 * Sessions are laid out backwards from an anchor session that is in progress at creation time (so
 * the receiver has been reading for a while and keeps reading, live, for at least a day), and
 * forwards lazily for long live runs. Session k's randomness comes from the stream `session:k`, the
 * gap before it from `gap:k`: each session is the same whichever order they are generated in.
 */

import { SPECIAL_GLUCOSE } from "../../records/glucose.js";
import type { GlucoseModel } from "./glucose-model.js";
import type { Prng } from "./prng.js";
import type { Profile } from "./profiles.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Sensor warm-up after insertion (G4 to G6: two hours). */
export const WARMUP_MS = 2 * HOUR_MS;

export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface SensorSession {
  /** Session number, written as the insertion record's `number` on rev ≥ 2. */
  readonly ordinal: number;
  readonly startMs: number;
  readonly endMs: number;
  /** REMOVED (sensor failed or pulled early) or EXPIRED (ran its full length). */
  readonly endState: 1 | 2;
  readonly warmupEndMs: number;
  /** When readings become numeric: after the second start-up calibration, or after warm-up (G6). */
  readonly calibratedFromMs: number;
  /** Every calibration entry of the session, ascending (start-up pair first on G4/G5). */
  readonly calibrationsMs: readonly number[];
  /** "??" episodes: readings carry `code` instead of a value. */
  readonly deviations: readonly (TimeWindow & { readonly code: number })[];
  /** Signal losses (backfilling profiles only): no reading is stored until the signal returns. */
  readonly gaps: readonly TimeWindow[];
  /** Sensor error and raw-count scale. */
  readonly sensor: {
    readonly gainAmplitude: number;
    readonly gainPeriodMs: number;
    readonly gainPhase: number;
    readonly bias: number;
    readonly slope: number;
    readonly intercept: number;
    readonly rssi: number;
    readonly finePhase: number;
  };
}

const DEVIATION_CODES = [
  SPECIAL_GLUCOSE.POWER_DEVIATION,
  SPECIAL_GLUCOSE.POWER_DEVIATION,
  SPECIAL_GLUCOSE.POWER_DEVIATION,
  SPECIAL_GLUCOSE.ABSOLUTE_DEVIATION,
  SPECIAL_GLUCOSE.COUNTS_DEVIATION,
  SPECIAL_GLUCOSE.BAD_RF,
  SPECIAL_GLUCOSE.BAD_RF,
  SPECIAL_GLUCOSE.NONE,
];

export class SensorSchedule {
  readonly #profile: Profile;
  readonly #prng: Prng;
  readonly #glucose: GlucoseModel;
  /** Contiguous ordinals, ascending. */
  readonly #sessions: SensorSession[] = [];

  /**
   * @param anchorMs a host time at which a session is in progress with at least a day left
   */
  constructor(profile: Profile, prng: Prng, glucose: GlucoseModel, anchorMs: number) {
    this.#profile = profile;
    this.#prng = prng;
    this.#glucose = glucose;
    const r = prng.fork("anchor-session");
    const sessionMs = profile.sessionDays * DAY_MS;
    const elapsed = Math.round(r.range(1.2 * DAY_MS, sessionMs - 1.5 * DAY_MS));
    const ordinal = 100 + r.int(0, 899);
    this.#sessions.push(this.#build(ordinal, anchorMs - elapsed, false));
  }

  /** The session with start ≤ ms < end, generating sessions as needed. */
  sessionAt(ms: number): SensorSession | undefined {
    this.#cover(ms, ms);
    return this.#sessions.find((s) => s.startMs <= ms && ms < s.endMs);
  }

  /** Sessions overlapping [fromMs, toMs). */
  overlapping(fromMs: number, toMs: number): SensorSession[] {
    this.#cover(fromMs, toMs);
    return this.#sessions.filter((s) => s.startMs < toMs && s.endMs > fromMs);
  }

  #cover(fromMs: number, toMs: number): void {
    for (
      let first = this.#sessions[0];
      first !== undefined && first.startMs > fromMs;
      first = this.#sessions[0]
    ) {
      const gap = this.#gapBefore(first.ordinal);
      const ordinal = first.ordinal - 1;
      const duration = this.#duration(ordinal);
      this.#sessions.unshift(this.#build(ordinal, first.startMs - gap - duration.ms, duration.removed));
      if (ordinal <= 0) break;
    }
    for (
      let last = this.#sessions.at(-1);
      last !== undefined && last.endMs <= toMs;
      last = this.#sessions.at(-1)
    ) {
      const ordinal = last.ordinal + 1;
      this.#sessions.push(
        this.#build(ordinal, last.endMs + this.#gapBefore(ordinal), this.#duration(ordinal).removed),
      );
    }
  }

  #gapBefore(ordinal: number): number {
    return Math.round(this.#prng.fork(`gap:${ordinal}`).range(20, 120) * MINUTE_MS);
  }

  #duration(ordinal: number): { ms: number; removed: boolean } {
    const r = this.#prng.fork(`duration:${ordinal}`);
    const full = this.#profile.sessionDays * DAY_MS;
    if (r.chance(0.2)) return { ms: Math.round(r.range(2 * DAY_MS, full - 12 * HOUR_MS)), removed: true };
    return { ms: full, removed: false };
  }

  #build(ordinal: number, startMs: number, removed: boolean): SensorSession {
    const r = this.#prng.fork(`session:${ordinal}`);
    const endMs = removed
      ? startMs + this.#duration(ordinal).ms
      : startMs + this.#profile.sessionDays * DAY_MS;
    const warmupEndMs = startMs + WARMUP_MS;
    const calibrationsMs: number[] = [];
    let calibratedFromMs = warmupEndMs;
    if (this.#profile.needsCalibration) {
      // Start-up: two finger sticks shortly after warm-up (G4/G5 require two).
      const first = warmupEndMs + Math.round(r.range(5, 25) * MINUTE_MS);
      const second = first + Math.round(r.range(30, 90) * 1000);
      calibrationsMs.push(first, second);
      calibratedFromMs = second;
    }
    const firstDay = this.#glucose.localDay(startMs);
    const lastDay = this.#glucose.localDay(endMs);
    for (let day = firstDay; day <= lastDay; day++) {
      const candidates = this.#profile.needsCalibration
        ? [
            r.chance(0.92) ? this.#glucose.localTimeMs(day, r.range(7, 8.5)) : undefined,
            r.chance(0.92) ? this.#glucose.localTimeMs(day, r.range(19, 21)) : undefined,
          ]
        : [r.chance(0.12) ? this.#glucose.localTimeMs(day, r.range(10, 18)) : undefined];
      for (const at of candidates) {
        if (at !== undefined && at >= calibratedFromMs + 2 * HOUR_MS && at <= endMs - 15 * MINUTE_MS) {
          calibrationsMs.push(at);
        }
      }
    }
    const deviations: (TimeWindow & { code: number })[] = [];
    const gaps: TimeWindow[] = [];
    for (let dayStart = startMs; dayStart < endMs; dayStart += DAY_MS) {
      if (r.chance(0.2)) {
        const fromMs = dayStart + Math.round(r.range(0, DAY_MS));
        const toMs = fromMs + r.int(2, 8) * 5 * MINUTE_MS;
        const code = r.pick(DEVIATION_CODES);
        if (fromMs >= calibratedFromMs + HOUR_MS && toMs < endMs) deviations.push({ fromMs, toMs, code });
      }
      if (this.#profile.backfill && r.chance(0.35)) {
        const fromMs = dayStart + Math.round(r.range(0, DAY_MS));
        const toMs = fromMs + r.int(2, 8) * 5 * MINUTE_MS;
        if (fromMs >= calibratedFromMs + HOUR_MS && toMs < endMs - HOUR_MS) gaps.push({ fromMs, toMs });
      }
    }
    return {
      ordinal,
      startMs,
      endMs,
      endState: removed ? 1 : 2,
      warmupEndMs,
      calibratedFromMs,
      calibrationsMs: calibrationsMs.sort((a, b) => a - b),
      deviations,
      gaps,
      sensor: {
        gainAmplitude: r.range(0.03, 0.08),
        gainPeriodMs: r.range(1.5, 3) * DAY_MS,
        gainPhase: r.range(0, 2 * Math.PI),
        bias: r.range(-8, 8),
        slope: r.range(700, 1300),
        intercept: r.range(20_000, 40_000),
        rssi: r.int(160, 180),
        finePhase: r.range(0, 2 * Math.PI),
      },
    };
  }
}

/** What the sensor reports (mg/dL, unrounded) at `ms`: the true value seen through this sensor's error. */
export function sensorGlucoseAt(session: SensorSession, glucose: GlucoseModel, ms: number): number {
  const s = session.sensor;
  const gain =
    1 + s.gainAmplitude * Math.sin((2 * Math.PI * (ms - session.startMs)) / s.gainPeriodMs + s.gainPhase);
  const fine =
    1.5 * Math.sin((2 * Math.PI * ms) / (11 * MINUTE_MS) + s.finePhase) +
    1.0 * Math.sin((2 * Math.PI * ms) / (7 * MINUTE_MS) + 2 * s.finePhase);
  return glucose.trueGlucoseAt(ms) * gain + s.bias + fine;
}

/** Raw sensor counts (unfiltered) at `ms` without measurement noise: slope × glucose + intercept, plus the warm-up transient. */
export function rawCountsAt(session: SensorSession, glucose: GlucoseModel, ms: number): number {
  const s = session.sensor;
  const sinceStartMin = (ms - session.startMs) / MINUTE_MS;
  const transient = sinceStartMin < 0 ? 0 : 0.8 * s.intercept * Math.exp(-sinceStartMin / 30);
  return Math.max(0, Math.round(s.slope * sensorGlucoseAt(session, glucose, ms) + s.intercept + transient));
}

export function inWindow(windows: readonly TimeWindow[], ms: number): TimeWindow | undefined {
  return windows.find((w) => w.fromMs <= ms && ms < w.toMs);
}
