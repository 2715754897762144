/**
 * Everything that happens to the receiver besides the periodic readings, as timed events: sensor
 * insertions and removals, calibrations, the wearer's logged events (carbs, insulin, exercise,
 * health) and settings changes (the DST shift of the display clock, an alarm change).
 *
 * `between(from, to)` returns the events in [from, to) in the order they are written. Events depend
 * only on the seed and the time, so history generation and live mode see the same timeline.
 */

import { EVENT_TYPE } from "../../records/decoders/user-event.js";
import type { GlucoseModel } from "./glucose-model.js";
import { deriveSeed, Prng } from "./prng.js";
import type { Profile } from "./profiles.js";
import type { SensorSchedule, SensorSession } from "./sensor-sessions.js";

const MINUTE_MS = 60_000;

export type SettingsChange = "initial" | "dst" | "alarm";

export type TimelineEvent =
  | { readonly kind: "session-end"; readonly atMs: number; readonly session: SensorSession }
  | { readonly kind: "session-start"; readonly atMs: number; readonly session: SensorSession }
  | { readonly kind: "calibration"; readonly atMs: number; readonly session: SensorSession }
  | { readonly kind: "settings"; readonly atMs: number; readonly change: SettingsChange }
  | {
      readonly kind: "user-event";
      /** When the record is written. */
      readonly atMs: number;
      /** The time the wearer entered for the event. */
      readonly eventAtMs: number;
      readonly eventType: number;
      readonly eventSubType: number;
      readonly value: number;
    };

/** Write order for events at the same millisecond; readings sit at 4. */
export const EVENT_PRIORITY: Readonly<Record<TimelineEvent["kind"], number>> = {
  "session-end": 0,
  "session-start": 1,
  calibration: 2,
  settings: 3,
  "user-event": 5,
};
export const READING_PRIORITY = 4;

export interface FixedChanges {
  /** Host times of the one-off settings changes. */
  readonly initialSettingsMs: number | undefined;
  readonly dstMs: number | undefined;
  readonly alarmChangeMs: number | undefined;
}

export class Timeline {
  readonly #profile: Profile;
  readonly #seed: number;
  readonly #glucose: GlucoseModel;
  readonly #sessions: SensorSchedule;
  readonly #fixed: FixedChanges;

  constructor(
    profile: Profile,
    prng: Prng,
    glucose: GlucoseModel,
    sessions: SensorSchedule,
    fixed: FixedChanges,
  ) {
    this.#profile = profile;
    this.#seed = prng.seed;
    this.#glucose = glucose;
    this.#sessions = sessions;
    this.#fixed = fixed;
  }

  between(fromMs: number, toMs: number): TimelineEvent[] {
    if (!(toMs > fromMs)) return [];
    const events: TimelineEvent[] = [];
    const inRange = (ms: number) => ms >= fromMs && ms < toMs;
    for (const session of this.#sessions.overlapping(fromMs, toMs)) {
      if (inRange(session.startMs)) events.push({ kind: "session-start", atMs: session.startMs, session });
      if (inRange(session.endMs)) events.push({ kind: "session-end", atMs: session.endMs, session });
      for (const atMs of session.calibrationsMs) {
        if (inRange(atMs)) events.push({ kind: "calibration", atMs, session });
      }
    }
    const changes: [number | undefined, SettingsChange][] = [
      [this.#fixed.initialSettingsMs, "initial"],
      [this.#fixed.dstMs, "dst"],
      [this.#fixed.alarmChangeMs, "alarm"],
    ];
    for (const [atMs, change] of changes) {
      if (atMs !== undefined && inRange(atMs)) events.push({ kind: "settings", atMs, change });
    }
    // Logged events are written up to 20 minutes after they happened: look one day further back.
    for (let day = this.#glucose.localDay(fromMs) - 1; day <= this.#glucose.localDay(toMs); day++) {
      for (const event of this.#userEvents(day)) if (inRange(event.atMs)) events.push(event);
    }
    return events.sort((a, b) => a.atMs - b.atMs || EVENT_PRIORITY[a.kind] - EVENT_PRIORITY[b.kind]);
  }

  /** The wearer's logged events of one local day (§5.6): most meals, their boluses, the rest now and then. */
  #userEvents(day: number): TimelineEvent[] {
    const plan = this.#glucose.plan(day);
    const events: TimelineEvent[] = [];
    const fast = this.#profile.insulinSubtypes ? 1 : 0;
    const long = this.#profile.insulinSubtypes ? 2 : 0;
    const userEvent = (
      r: Prng,
      eventAtMs: number,
      eventType: number,
      eventSubType: number,
      value: number,
      delayMinMin: number,
      delayMaxMin: number,
    ): TimelineEvent => ({
      kind: "user-event",
      atMs: eventAtMs + Math.round(r.range(delayMinMin, delayMaxMin) * MINUTE_MS),
      eventAtMs,
      eventType,
      eventSubType,
      value,
    });
    for (const meal of plan.meals) {
      const r = new Prng(deriveSeed(this.#seed, `meal:${meal.atMs}`));
      if (r.chance(0.75)) events.push(userEvent(r, meal.atMs, EVENT_TYPE.CARBS, 0, meal.carbs, 2, 20));
      if (meal.bolus && r.chance(0.85)) {
        events.push(
          userEvent(r, meal.atMs, EVENT_TYPE.INSULIN, fast, Math.round(meal.insulinUnits * 100), 1, 15),
        );
      }
    }
    const r = new Prng(deriveSeed(this.#seed, `events:${day}`));
    if (plan.longActing !== undefined && r.chance(0.8)) {
      events.push(
        userEvent(r, plan.longActing.atMs, EVENT_TYPE.INSULIN, long, plan.longActing.units * 100, 0, 5),
      );
    }
    if (plan.exercise !== undefined && r.chance(0.7)) {
      const { atMs, minutes, intensity } = plan.exercise;
      // Logged when it is over.
      events.push(userEvent(r, atMs, EVENT_TYPE.EXERCISE, intensity, minutes, minutes, minutes + 10));
    }
    if (plan.health !== undefined) {
      events.push(userEvent(r, plan.health.atMs, EVENT_TYPE.HEALTH, plan.health.subType, 0, 0, 10));
    }
    return events;
  }
}
