/**
 * The wearer's true blood glucose as a smooth, deterministic function of host time: a daily
 * baseline with a dawn rise, meals (carbs raise it, a bolus pulls it back with a later, wider curve,
 * which gives the familiar undershoot), exercise, occasional hypoglycaemia, and slow wander.
 *
 * A function of time rather than a random walk, so that any instant can be evaluated in any order:
 * the history (every 5 minutes), live mode (every few seconds in tests) and the meter readings all
 * see the same curve. Each local day's plan comes from its own PRNG stream, so the curve on a given
 * day does not depend on how many days were generated before it.
 *
 * Local time is the wearer's wall clock (host UTC + `zoneOffsetSeconds`): meals happen at local hours.
 */
import type { Prng } from "./prng.js";

const MINUTE_MS = 60_000;
const DAY_SECONDS = 86_400;

export interface Meal {
  readonly atMs: number;
  readonly carbs: number;
  /** Rise per gram of carbs, mg/dL, before insulin. */
  readonly risePerGram: number;
  readonly peakMinutes: number;
  /** Whether insulin was given for this meal; a missed bolus is what produces HIGH readings. */
  readonly bolus: boolean;
  /** Insulin effect relative to the carb effect (< 1 peak, wider curve). */
  readonly insulinFactor: number;
  /** Insulin units (a multiple of 0.5) when bolused. */
  readonly insulinUnits: number;
}

export interface DayPlan {
  readonly day: number;
  readonly baseline: number;
  readonly dawnAmplitude: number;
  readonly meals: readonly Meal[];
  readonly exercise:
    | { readonly atMs: number; readonly minutes: number; readonly intensity: number }
    | undefined;
  readonly hypo: { readonly atMs: number; readonly depth: number } | undefined;
  /** A long high (a failed infusion set, a forgotten bolus): what produces HIGH readings. */
  readonly hyper: { readonly atMs: number; readonly height: number } | undefined;
  readonly health: { readonly atMs: number; readonly subType: number } | undefined;
  readonly longActing: { readonly atMs: number; readonly units: number } | undefined;
}

/** A gamma-like bump: 0 at τ = 0 with zero slope, peak 1 at τ = peak, long tail (x² e^(2 − 2x)). */
function bump(tauMinutes: number, peakMinutes: number): number {
  if (tauMinutes <= 0) return 0;
  const x = tauMinutes / peakMinutes;
  return x * x * Math.exp(2 - 2 * x);
}

export class GlucoseModel {
  readonly #seed: Prng;
  readonly #zoneOffsetSeconds: number;
  readonly #plans = new Map<number, DayPlan>();
  readonly #wander: readonly { amplitude: number; periodMin: number; phase: number }[];

  constructor(prng: Prng, zoneOffsetSeconds: number) {
    this.#seed = prng;
    this.#zoneOffsetSeconds = zoneOffsetSeconds;
    const w = prng.fork("wander");
    this.#wander = [
      { amplitude: w.range(4, 8), periodMin: w.range(80, 130), phase: w.range(0, 2 * Math.PI) },
      { amplitude: w.range(2, 5), periodMin: w.range(35, 55), phase: w.range(0, 2 * Math.PI) },
      { amplitude: w.range(1, 3), periodMin: w.range(17, 27), phase: w.range(0, 2 * Math.PI) },
    ];
  }

  /** Local day number (days since 1970-01-01 on the wearer's wall clock) of host time `ms`. */
  localDay(ms: number): number {
    return Math.floor((Math.floor(ms / 1000) + this.#zoneOffsetSeconds) / DAY_SECONDS);
  }

  /** Host ms of local time `hours` on local day `day`. */
  localTimeMs(day: number, hours: number): number {
    return Math.round((day * DAY_SECONDS + hours * 3600 - this.#zoneOffsetSeconds) * 1000);
  }

  plan(day: number): DayPlan {
    const cached = this.#plans.get(day);
    if (cached !== undefined) return cached;
    const plan = this.#makePlan(day);
    this.#plans.set(day, plan);
    return plan;
  }

  #makePlan(day: number): DayPlan {
    const r = this.#seed.fork(`day:${day}`);
    const at = (hours: number, spreadMin: number) =>
      this.localTimeMs(day, hours) + Math.round(r.range(-spreadMin, spreadMin) * MINUTE_MS);
    const meal = (atMs: number, minCarbs: number, maxCarbs: number, bolusChance: number): Meal => {
      const carbs = r.int(minCarbs, maxCarbs);
      return {
        atMs,
        carbs,
        risePerGram: r.range(1.8, 3.2),
        peakMinutes: r.range(45, 70),
        bolus: r.chance(bolusChance),
        insulinFactor: r.range(0.45, 0.6),
        insulinUnits: Math.max(0.5, Math.round((carbs / r.range(8, 15)) * 2) / 2),
      };
    };
    const meals: Meal[] = [meal(at(7.5, 40), 30, 60, 0.9), meal(at(12.5, 50), 40, 80, 0.9)];
    if (r.chance(0.35)) meals.push(meal(at(15.5, 60), 10, 30, 0.5));
    meals.push(meal(at(19, 50), 50, 90, 0.9));
    if (r.chance(0.2)) meals.push(meal(at(21.75, 30), 10, 25, 0.4));
    return {
      day,
      baseline: r.range(115, 155),
      dawnAmplitude: r.range(8, 30),
      meals,
      exercise: r.chance(0.35)
        ? { atMs: at(17, 90), minutes: r.int(20, 90), intensity: r.int(1, 3) }
        : undefined,
      hypo: r.chance(0.12) ? { atMs: at(r.range(1, 23), 0), depth: r.range(60, 110) } : undefined,
      hyper: r.chance(0.08) ? { atMs: at(r.range(8, 22), 0), height: r.range(150, 300) } : undefined,
      health: r.chance(0.08) ? { atMs: at(r.range(8, 21), 0), subType: r.int(1, 6) } : undefined,
      longActing: r.chance(0.9) ? { atMs: at(22, 30), units: r.int(10, 30) } : undefined,
    };
  }

  /** True blood glucose (mg/dL, unrounded) at host time `ms`; bounded to 25–480. */
  trueGlucoseAt(ms: number): number {
    const day = this.localDay(ms);
    const today = this.plan(day);
    const tomorrow = this.plan(day + 1);
    const localSeconds = Math.floor(ms / 1000) + this.#zoneOffsetSeconds;
    const fractionOfDay = (localSeconds - day * DAY_SECONDS) / DAY_SECONDS;
    // Baseline drifts smoothly from one day's value to the next's (no step at midnight).
    let glucose = today.baseline + (tomorrow.baseline - today.baseline) * fractionOfDay;
    const hourOfDay = fractionOfDay * 24;
    glucose += today.dawnAmplitude * Math.exp(-(((hourOfDay - 6.5) / 1.4) ** 2));
    // Effects of the last two days' events (older ones have decayed below 0.01 mg/dL).
    for (const plan of [this.plan(day - 1), today]) {
      for (const m of plan.meals) {
        const tau = (ms - m.atMs) / MINUTE_MS;
        const carbs = m.carbs * m.risePerGram * bump(tau, m.peakMinutes);
        const insulin = m.bolus
          ? m.carbs * m.risePerGram * m.insulinFactor * bump(tau, m.peakMinutes * 2)
          : 0;
        glucose += carbs - insulin;
      }
      if (plan.exercise !== undefined) {
        const drop = 12 * plan.exercise.intensity + plan.exercise.minutes / 3;
        glucose -= drop * bump((ms - plan.exercise.atMs) / MINUTE_MS, 30 + plan.exercise.minutes / 2);
      }
      if (plan.hypo !== undefined) glucose -= plan.hypo.depth * bump((ms - plan.hypo.atMs) / MINUTE_MS, 50);
      if (plan.hyper !== undefined)
        glucose += plan.hyper.height * bump((ms - plan.hyper.atMs) / MINUTE_MS, 110);
    }
    for (const w of this.#wander) {
      glucose += w.amplitude * Math.sin((2 * Math.PI * ms) / (w.periodMin * MINUTE_MS) + w.phase);
    }
    return Math.min(480, Math.max(25, glucose));
  }
}
