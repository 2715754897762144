/**
 * Writes the receiver's records as time passes: the periodic readings (EGV + raw sensor record, and
 * backfill on touchscreens) on a time grid, merged in time order with the timeline's events
 * (sessions, calibrations, logged events, settings changes). History generation and live mode are
 * the same process: `advanceTo(now)` once at start-up, then again whenever live time has passed.
 *
 * Every record carries the system time at which it is written and the display offset in force then
 * (§5.0), which is how the DST change becomes visible in DisplayTime − SystemTime.
 */

import { NOISE } from "../../records/decoders/egv.js";
import { SESSION_STATE } from "../../records/decoders/insertion.js";
import {
  GLUCOSE_HIGH_MG_DL,
  GLUCOSE_LOW_MG_DL,
  isMeasuredGlucose,
  SPECIAL_GLUCOSE,
  SPECIAL_GLUCOSE_LIMIT,
} from "../../records/glucose.js";
import { TREND } from "../../records/trend.js";
import { RECORD_TYPE } from "../../wire/record-types.js";
import type { ReceiverClock } from "./clock.js";
import type { Database } from "./database.js";
import type { GlucoseModel } from "./glucose-model.js";
import type { ReceiverIdentity } from "./identity.js";
import { type CalSubrecord, type EgvRecord, type NewRecord, toStoredGlucose } from "./model.js";
import { deriveSeed, Prng } from "./prng.js";
import type { Profile } from "./profiles.js";
import type { ReadingGrid } from "./reading-grid.js";
import type { Salt } from "./salt.js";
import {
  inWindow,
  rawCountsAt,
  type SensorSchedule,
  type SensorSession,
  sensorGlucoseAt,
} from "./sensor-sessions.js";
import { EVENT_PRIORITY, READING_PRIORITY, type Timeline, type TimelineEvent } from "./timeline.js";
import { rateOfChange, trendFromRate } from "./trend.js";

const MINUTE_MS = 60_000;

/** SYNTHETIC algorithm-state values for EGV rev ≥ 4 (the field's meaning is not public, §5.1). */
export const AlgorithmState = { WARMUP: 1, NEEDS_CALIBRATION: 5, OK: 6, DEVIATION: 7 } as const;

/** The user settings the receiver holds (§5.7), apart from clocks and transmitter id. */
export interface SettingsValues {
  enableFlags: number;
  highAlarmLevel: number;
  highAlarmSnooze: number;
  lowAlarmLevel: number;
  lowAlarmSnooze: number;
  riseRate: number;
  fallRate: number;
  outOfRangeSnooze: number;
  language: number;
  alarmProfile: number;
  setupState: number;
  urgentLowSoonSnooze: number;
  brightness: number;
  graphHeight: number;
}

export interface SimulationSetup {
  readonly profile: Profile;
  readonly db: Database;
  readonly clock: ReceiverClock;
  readonly identity: ReceiverIdentity;
  readonly glucose: GlucoseModel;
  readonly sessions: SensorSchedule;
  readonly timeline: Timeline;
  readonly grid: ReadingGrid;
  readonly seed: number;
  /** Host time at which the transmitter's clock read 0. */
  readonly transmitterStartMs: number;
  /** Display offset change at the DST event, seconds (+3600 or −3600). */
  readonly dstShiftSeconds: number;
  readonly settings: SettingsValues;
  /** Everything before this host time has already been processed (the start of the history). */
  readonly startMs: number;
  /** Salts EGV readings with the values a client must map or skip (salt.ts); none by default. */
  readonly salt?: Salt | undefined;
}

export class ReceiverSimulation {
  readonly #s: SimulationSetup;
  #processedUntilMs: number;
  /** A calibration was entered since the last reading: the next one is preceded by a display-only EGV. */
  #pendingDisplayOnly: { meterGlucose: number } | undefined;
  /** Reading times lost to a signal gap, backfilled when the signal returns (touchscreen). */
  #missedReadings: number[] = [];
  #settings: SettingsValues;

  constructor(setup: SimulationSetup) {
    this.#s = setup;
    this.#processedUntilMs = setup.startMs;
    this.#settings = { ...setup.settings };
  }

  /** Processes every reading and event at or before `targetMs`. */
  advanceTo(targetMs: number): void {
    const until = Math.floor(targetMs) + 1;
    if (until <= this.#processedUntilMs) return;
    const work: { atMs: number; priority: number; apply: () => void }[] = [];
    for (const event of this.#s.timeline.between(this.#processedUntilMs, until)) {
      work.push({ atMs: event.atMs, priority: EVENT_PRIORITY[event.kind], apply: () => this.#apply(event) });
    }
    const grid = this.#s.grid;
    for (let at = grid.peek(); at < until; at = grid.peek()) {
      const readingMs = at;
      if (readingMs >= this.#processedUntilMs) {
        work.push({ atMs: readingMs, priority: READING_PRIORITY, apply: () => this.#reading(readingMs) });
      }
      grid.advance();
    }
    work.sort((a, b) => a.atMs - b.atMs || a.priority - b.priority);
    for (const item of work) item.apply();
    this.#processedUntilMs = until;
  }

  /**
   * WriteDisplayTimeOffset: the new offset applies from now on, recorded as a settings change (§5.7).
   * In live mode the caller first brings the database up to `atMs`.
   */
  writeDisplayOffset(offsetSeconds: number, atMs: number): void {
    this.#s.clock.setDisplayOffset(offsetSeconds);
    this.#writeSettings(atMs);
  }

  #random(label: string, ms: number): Prng {
    return new Prng(deriveSeed(this.#s.seed, `${label}:${ms}`));
  }

  #stamp(ms: number): { systemSeconds: number; displaySeconds: number } {
    const systemSeconds = this.#s.clock.systemAt(ms);
    return { systemSeconds, displaySeconds: systemSeconds + this.#s.clock.displayOffset };
  }

  #transmitterSeconds(ms: number): number {
    return Math.max(0, Math.floor((ms - this.#s.transmitterStartMs) / 1000));
  }

  #apply(event: TimelineEvent): void {
    switch (event.kind) {
      case "session-start":
        this.#missedReadings = [];
        this.#insertion(event.atMs, event.session, SESSION_STATE.STARTED);
        return;
      case "session-end":
        this.#missedReadings = [];
        this.#pendingDisplayOnly = undefined;
        this.#insertion(event.atMs, event.session, event.session.endState);
        return;
      case "calibration":
        this.#calibration(event.atMs, event.session);
        return;
      case "settings":
        if (event.change === "dst")
          this.#s.clock.setDisplayOffset(this.#s.clock.displayOffset + this.#s.dstShiftSeconds);
        if (event.change === "alarm")
          this.#settings.highAlarmLevel = this.#settings.highAlarmLevel === 200 ? 180 : 200;
        this.#writeSettings(event.atMs);
        return;
      case "user-event": {
        const stamp = this.#stamp(event.atMs);
        // The wearer enters a wall-clock time in whole minutes, on the display clock (§5.6, §6.2).
        const entered = this.#s.clock.systemAt(event.eventAtMs) + this.#s.clock.displayOffset;
        this.#s.db.append(RECORD_TYPE.USER_EVENT_DATA, {
          kind: "event",
          ...stamp,
          eventType: event.eventType,
          eventSubType: event.eventSubType,
          eventSeconds: entered - (((entered % 60) + 60) % 60),
          value: event.value,
        });
        return;
      }
    }
  }

  /** Insertion record (§5.4): STARTED carries the insertion time (= its SystemTime), the others none. */
  #insertion(ms: number, session: SensorSession, state: number): void {
    const stamp = this.#stamp(ms);
    const rev2 = (this.#s.db.partition(RECORD_TYPE.INSERTION_TIME)?.spec.revision ?? 1) >= 2;
    this.#s.db.append(RECORD_TYPE.INSERTION_TIME, {
      kind: "insertion",
      ...stamp,
      insertionSeconds: state === SESSION_STATE.STARTED ? stamp.systemSeconds : null,
      state,
      ...(rev2 ? { number: session.ordinal, transmitterId: this.#s.identity.transmitterId } : {}),
    });
  }

  #meterGlucoseAt(ms: number): number {
    const value = this.#s.glucose.trueGlucoseAt(ms) * (1 + this.#random("meter", ms).normal(0, 0.04));
    return Math.min(600, Math.max(20, Math.round(value)));
  }

  /** A finger stick entered as a calibration: meter record, cal record, then a display-only EGV. */
  #calibration(ms: number, session: SensorSession): void {
    const r = this.#random("calibration", ms);
    const meterGlucose = this.#meterGlucoseAt(ms);
    const meterLagMs = r.int(20, 45) * 1000;
    const meterRev3 = (this.#s.db.partition(RECORD_TYPE.METER_DATA)?.spec.revision ?? 1) >= 3;
    this.#s.db.append(RECORD_TYPE.METER_DATA, {
      kind: "meter",
      ...this.#stamp(ms),
      meterGlucose,
      // The meter's own time is ≈ 30 s before the record, on the system clock (§5.3).
      meterSeconds: this.#s.clock.systemAt(ms - meterLagMs),
      ...(meterRev3
        ? { entryType: 0, meterTransmitterSeconds: this.#transmitterSeconds(ms - meterLagMs) }
        : {}),
    });
    const calSpec = this.#s.db.partition(RECORD_TYPE.CAL_SET)?.spec;
    const rev3 = (calSpec?.revision ?? 2) >= 3;
    const capacity = rev3 ? 11 : 6;
    const subrecords: CalSubrecord[] = session.calibrationsMs
      .filter((t) => t <= ms)
      .slice(-capacity)
      .map((t) => {
        const enteredSeconds = this.#s.clock.systemAt(t);
        return {
          enteredSeconds,
          meterGlucose: this.#meterGlucoseAt(t),
          rawCounts: rawCountsAt(session, this.#s.glucose, t),
          appliedSeconds: enteredSeconds + this.#random("applied", t).int(30, 300),
          unknown: 0,
        };
      });
    this.#s.db.append(RECORD_TYPE.CAL_SET, {
      kind: "cal",
      ...this.#stamp(ms + 2000),
      slope: session.sensor.slope * (1 + r.normal(0, 0.02)),
      intercept: session.sensor.intercept * (1 + r.normal(0, 0.02)),
      scale: 1,
      unknownBytes: [3, 6, 0],
      decay: 0,
      subrecords,
      ...(rev3 ? { trailing: [0.3, 2 / 3] as const } : {}),
    });
    this.#pendingDisplayOnly = { meterGlucose };
  }

  #writeSettings(ms: number): void {
    const rev = this.#s.db.partition(RECORD_TYPE.USER_SETTING_DATA)?.spec.revision ?? 3;
    const { urgentLowSoonSnooze, brightness, graphHeight, ...common } = this.#settings;
    this.#s.db.append(RECORD_TYPE.USER_SETTING_DATA, {
      kind: "settings",
      ...this.#stamp(ms),
      systemTimeOffset: this.#s.clock.systemTimeOffset,
      displayTimeOffset: this.#s.clock.displayOffset,
      transmitterId: this.#s.identity.transmitterId,
      ...common,
      ...(rev === 6
        ? { urgentLowSoonSnooze, brightness, sensorCode: this.#s.identity.sensorCode, graphHeight }
        : {}),
    });
  }

  /** One periodic reading at host time `ms` (§5.1, §5.2). */
  #reading(ms: number): void {
    const session = this.#s.sessions.sessionAt(ms);
    if (session === undefined) return; // between sensors: nothing to record
    if (this.#s.profile.backfill && inWindow(session.gaps, ms) !== undefined) {
      this.#missedReadings.push(ms);
      return;
    }
    const stamp = this.#stamp(ms);
    const egvPartition = this.#s.db.partition(RECORD_TYPE.EGV_DATA);
    const earlier = (egvPartition?.records ?? []) as readonly EgvRecord[];
    const sg = sensorGlucoseAt(session, this.#s.glucose, ms);
    const r = this.#random("reading", ms);
    const deviation = inWindow(session.deviations, ms) as { code: number } | undefined;
    let special: number | undefined;
    let algorithmState: number = AlgorithmState.OK;
    if (ms < session.warmupEndMs) {
      special = SPECIAL_GLUCOSE.SENSOR_NOT_ACTIVE;
      algorithmState = AlgorithmState.WARMUP;
    } else if (ms < session.calibratedFromMs) {
      special = SPECIAL_GLUCOSE.SENSOR_NOT_CALIBRATED;
      algorithmState = AlgorithmState.NEEDS_CALIBRATION;
    } else if (deviation !== undefined) {
      special = deviation.code;
      algorithmState = AlgorithmState.DEVIATION;
    }
    const lagMs = r.int(0, 2500);
    const pending = this.#pendingDisplayOnly;
    this.#pendingDisplayOnly = undefined;
    if (special === undefined) {
      const noise = this.#noise(r, ms - session.warmupEndMs);
      if (pending !== undefined) {
        // At a calibration the receiver writes a display-only reading, then the regular one with the
        // same timestamps (§5.1: "shares its timestamp with the following record").
        const value = toStoredGlucose((sg + pending.meterGlucose) / 2);
        this.#egv(stamp, ms, lagMs, value, true, noise, earlier, algorithmState);
      }
      this.#egv(stamp, ms, lagMs, toStoredGlucose(sg), false, noise, earlier, algorithmState);
    } else {
      this.#egv(stamp, ms, lagMs, special, false, NOISE.NOT_COMPUTED, earlier, algorithmState);
    }
    this.#s.db.append(RECORD_TYPE.SENSOR_DATA, {
      kind: "sensor",
      ...stamp,
      unfiltered: Math.max(0, Math.round(rawCountsAt(session, this.#s.glucose, ms) + r.normal(0, 400))),
      filtered: rawCountsAt(session, this.#s.glucose, ms - 150_000),
      rssi: session.sensor.rssi + r.int(-6, 6),
    });
    if (this.#missedReadings.length > 0) this.#backfill(stamp, session);
  }

  #noise(r: Prng, sinceWarmupMs: number): number {
    const scale = sinceWarmupMs < 12 * 60 * MINUTE_MS ? 3 : 1;
    const x = r.next();
    if (x < 0.005 * scale) return NOISE.HEAVY;
    if (x < 0.025 * scale) return NOISE.MEDIUM;
    if (x < 0.1 * scale) return NOISE.LIGHT;
    return NOISE.CLEAN;
  }

  #egv(
    stamp: { systemSeconds: number; displaySeconds: number },
    ms: number,
    lagMs: number,
    glucose: number,
    displayOnly: boolean,
    noise: number,
    earlier: readonly EgvRecord[],
    algorithmState: number,
  ): void {
    const rate = rateOfChange(earlier, stamp.systemSeconds, glucose);
    const trend = rate === undefined ? TREND.NotComputable : trendFromRate(rate);
    const record: NewRecord<EgvRecord> = {
      kind: "egv",
      ...stamp,
      glucose,
      special: glucose < SPECIAL_GLUCOSE_LIMIT ? glucose : null,
      displayOnly,
      trend,
      noise,
      ...this.#extendedEgvFields(RECORD_TYPE.EGV_DATA, ms - lagMs, rate, glucose, algorithmState, false),
    };
    this.#s.db.append(RECORD_TYPE.EGV_DATA, this.#s.salt?.apply(record, this.#random("salt", ms)) ?? record);
  }

  /** The rev ≥ 4 / rev 5 fields of an EGV (§5.1), present only when the partition's layout has them. */
  #extendedEgvFields(
    recordType: number,
    readingMs: number,
    rate: number | undefined,
    glucose: number,
    algorithmState: number,
    backfilled: boolean,
  ): Partial<NewRecord<EgvRecord>> {
    const revision = this.#s.db.partition(recordType)?.spec.revision ?? 2;
    if (revision < 4) return {};
    const fields: Partial<NewRecord<EgvRecord>> = {
      readingSystemSeconds: this.#s.clock.systemAt(readingMs),
      transmitterSeconds: this.#transmitterSeconds(readingMs),
      filteredRate: rate === undefined ? 0 : Math.max(-128, Math.min(127, Math.round(rate * 10))),
      algorithmState,
    };
    if (revision < 5) return fields;
    const predicted =
      rate === undefined || backfilled || !isMeasuredGlucose(glucose)
        ? 13
        : Math.min(GLUCOSE_HIGH_MG_DL - 1, Math.max(GLUCOSE_LOW_MG_DL + 1, Math.round(glucose + 20 * rate)));
    return {
      ...fields,
      computedOnTransmitter: this.#s.profile.computedOnTransmitter,
      backfilled,
      predictedGlucose: predicted,
      urgentLowSoon: predicted !== 13 && predicted < 55,
    };
  }

  /** Touchscreen: readings lost to a gap arrive with the next one and go to type 18 (§4.2, §5.1). */
  #backfill(stamp: { systemSeconds: number; displaySeconds: number }, session: SensorSession): void {
    const missed = this.#missedReadings;
    this.#missedReadings = [];
    if (!this.#s.db.has(RECORD_TYPE.BACKFILLED_EGV_DATA)) return;
    for (const ms of missed) {
      const sg = sensorGlucoseAt(session, this.#s.glucose, ms);
      const glucose = toStoredGlucose(sg);
      const previous = sensorGlucoseAt(session, this.#s.glucose, ms - 15 * MINUTE_MS);
      const rate = isMeasuredGlucose(glucose) ? (sg - previous) / 15 : undefined;
      this.#s.db.append(RECORD_TYPE.BACKFILLED_EGV_DATA, {
        kind: "egv",
        ...stamp,
        glucose,
        special: null,
        displayOnly: false,
        trend: rate === undefined ? TREND.NotComputable : trendFromRate(rate),
        noise: NOISE.CLEAN,
        ...this.#extendedEgvFields(
          RECORD_TYPE.BACKFILLED_EGV_DATA,
          ms,
          rate,
          glucose,
          AlgorithmState.OK,
          true,
        ),
      });
    }
  }
}
