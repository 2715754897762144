/**
 * One emulated receiver: identity, clocks, database and device settings, built deterministically
 * from a seed and a host time. The command handler reads and writes this; `swapReceiver` replaces it.
 *
 * Defaults worth knowing (all overridable):
 * - system clock ≈ 91 days behind true UTC plus up to ±30 min (§6.1: system time is not UTC);
 * - display offset = wearer's zone − system skew + a non-round error of up to ±4 min, so display
 *   time is the wearer's wall clock give or take a drifted minute, as in the capture (§6.4);
 * - a DST shift of ±3600 s inside the history, recorded as a settings change (§5.7);
 * - the manufacturing record was written at the factory in UTC−8, before the history (§5.8).
 */
import { SharebridgeError } from "../../errors.js";
import { MAX_RECEIVER_SECONDS, RECEIVER_EPOCH_MS } from "../../wire/epoch.js";
import { RECORD_TYPE } from "../../wire/record-types.js";
import { ReceiverClock } from "./clock.js";
import { Database } from "./database.js";
import { GlucoseModel } from "./glucose-model.js";
import {
  createIdentity,
  firmwareParameterXml,
  manufacturingXml,
  pcParameterXml,
  type ReceiverIdentity,
} from "./identity.js";
import type { NewRecord, XmlRecord } from "./model.js";
import { Prng } from "./prng.js";
import { firmwareHeaderXml, type Profile, partitionInfoXml } from "./profiles.js";
import { ReadingGrid } from "./reading-grid.js";
import { newestReplayedSystemSeconds, type ReplayPages, replayedSerial } from "./replay.js";
import { Salt } from "./salt.js";
import { SensorSchedule } from "./sensor-sessions.js";
import { ReceiverSimulation, type SettingsValues } from "./simulation.js";
import { Timeline } from "./timeline.js";

const DAY_MS = 86_400_000;
const READING_INTERVAL_MS = 300_000;
/** The factory's zone in both public manufacturing records (§5.8): UTC−8. */
const FACTORY_UTC_OFFSET_SECONDS = -8 * 3600;
const ZONES_SECONDS = [-28_800, -25_200, -21_600, -18_000, -14_400, 0, 3_600, 7_200, 36_000];

export interface ClockOptions {
  /** System time − true UTC, seconds (default ≈ −91 days, seeded). */
  readonly systemSkewSeconds?: number;
  /** Crystal error, ppm (default 0: records can then be dated exactly from an anchor). */
  readonly driftPpm?: number;
  /** The wearer's UTC offset after the DST shift, seconds (default seeded). */
  readonly zoneOffsetSeconds?: number;
  /** DisplayTimeOffset now, seconds (default: zone − skew + a seeded non-round error). */
  readonly displayOffsetSeconds?: number;
  /** Display offset change at the DST event: 3600, −3600 (default seeded), or 0 for none. */
  readonly dstShiftSeconds?: number;
  /** RTC reading now, seconds since its last reset (default seeded, months). */
  readonly rtcSeconds?: number;
}

export interface ReceiverSetup {
  readonly profile: Profile;
  readonly seed: number;
  readonly days: number;
  readonly now: () => number;
  /** Seconds between live readings, or undefined when not live. */
  readonly liveIntervalSeconds: number | undefined;
  readonly serial: string | undefined;
  readonly transmitterId: string | undefined;
  readonly maxPages: number;
  readonly clock: ClockOptions;
  /** Real pages the database starts from (replay.ts); the history continues after them. */
  readonly replay?: ReplayPages | undefined;
  /** Salt the EGV readings with the values a client must map or skip (salt.ts). */
  readonly salt?: boolean | undefined;
}

export interface DeviceSettings {
  glucoseUnit: number;
  language: number;
  clockMode: number;
  blindedMode: number;
  deviceMode: number;
  batteryLevel: number;
  chargerLevel: number;
}

export class EmulatedReceiver {
  readonly profile: Profile;
  readonly identity: ReceiverIdentity;
  readonly clock: ReceiverClock;
  readonly db: Database;
  readonly device: DeviceSettings;
  readonly firmwareHeaderXml: string;
  readonly partitionInfoXml: string;
  readonly #simulation: ReceiverSimulation;
  readonly #live: boolean;

  constructor(setup: ReceiverSetup) {
    const { profile, seed, days, now } = setup;
    const prng = new Prng(seed);
    const r = prng.fork("receiver");
    const nowMs = Math.floor(now());
    if (!Number.isFinite(nowMs))
      throw new SharebridgeError("CONFIG_INVALID", "now() must return a number", {});
    this.profile = profile;
    this.identity = createIdentity(profile, prng, serialOf(setup), setup.transmitterId);

    const historyStartMs = nowMs - Math.round(days * DAY_MS);
    const skewSeconds =
      setup.clock.systemSkewSeconds ??
      replaySkewSeconds(setup.replay, historyStartMs) ??
      -91 * 86_400 + r.int(-1800, 1800);
    const zoneOffsetSeconds = setup.clock.zoneOffsetSeconds ?? r.pick(ZONES_SECONDS);
    const clockErrorSeconds = r.pick([-1, 1]) * r.int(7, 240);
    const displayOffsetSeconds =
      setup.clock.displayOffsetSeconds ?? zoneOffsetSeconds - skewSeconds + clockErrorSeconds;
    const dstShiftSeconds = setup.clock.dstShiftSeconds ?? r.pick([3600, -3600]);
    const systemNow = Math.floor((nowMs - RECEIVER_EPOCH_MS) / 1000) + skewSeconds;
    const rtcNow = setup.clock.rtcSeconds ?? r.int(15_000_000, 60_000_000);
    const manufacturedMs = historyStartMs - r.int(60, 400) * DAY_MS - r.int(0, DAY_MS);
    const earliestSystem = systemNow - Math.ceil((nowMs - manufacturedMs) / 1000);
    if (earliestSystem < 0 || systemNow > MAX_RECEIVER_SECONDS || rtcNow < 0 || rtcNow > systemNow) {
      throw new SharebridgeError("CONFIG_INVALID", "clock settings put receiver times outside 0..2^32−1 s", {
        systemNow,
        earliestSystem,
        rtcNow,
      });
    }
    for (const [name, value] of [
      ["displayOffsetSeconds", displayOffsetSeconds],
      ["displayOffsetSeconds before DST", displayOffsetSeconds - dstShiftSeconds],
      ["systemTimeOffset", systemNow - rtcNow],
    ] as const) {
      if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
        throw new SharebridgeError("CONFIG_INVALID", `${name} must fit an i32`, { [name]: value });
      }
    }
    this.clock = new ReceiverClock(now, {
      anchorHostMs: nowMs,
      systemAtAnchor: systemNow,
      driftPpm: setup.clock.driftPpm ?? 0,
      systemTimeOffset: systemNow - rtcNow,
      // History starts before the DST shift; the shift event brings the offset to displayOffsetSeconds.
      displayOffset: displayOffsetSeconds,
    });
    this.db = new Database(profile, setup.maxPages, setup.replay);
    this.firmwareHeaderXml = firmwareHeaderXml(profile, this.identity.bleDeviceAddress);
    this.partitionInfoXml = partitionInfoXml(profile);
    this.device = {
      glucoseUnit: 1,
      language: 0x0409,
      clockMode: 1,
      blindedMode: 0,
      deviceMode: 0,
      batteryLevel: r.int(55, 100),
      chargerLevel: 2,
    };

    const glucose = new GlucoseModel(prng.fork("glucose"), zoneOffsetSeconds);
    const sessions = new SensorSchedule(profile, prng.fork("sessions"), glucose, nowMs);
    const span = nowMs - historyStartMs;
    let dstMs: number | undefined;
    if (span > 0 && dstShiftSeconds !== 0) {
      const middle = historyStartMs + Math.floor(span / 2);
      // Clocks are changed at night; fall back to the middle of a very short history.
      const night = glucose.localTimeMs(glucose.localDay(middle), 3);
      dstMs = night > historyStartMs + 60_000 && night < nowMs - 60_000 ? night : middle;
      this.clock.setDisplayOffset(displayOffsetSeconds - dstShiftSeconds);
    }
    this.#writeXmlRecords(
      r,
      manufacturedMs,
      historyStartMs,
      zoneOffsetSeconds - (dstMs === undefined ? 0 : dstShiftSeconds),
      new Set(setup.replay?.keys()),
    );
    const timeline = new Timeline(profile, prng.fork("timeline"), glucose, sessions, {
      initialSettingsMs: historyStartMs,
      dstMs,
      alarmChangeMs: days >= 2 ? historyStartMs + Math.round(span * r.range(0.1, 0.9)) : undefined,
    });
    const phaseMs = r.int(0, 299) * 1000;
    const lastSlotMs = nowMs - phaseMs;
    const firstSlotMs =
      lastSlotMs -
      Math.floor(Math.max(0, lastSlotMs - historyStartMs) / READING_INTERVAL_MS) * READING_INTERVAL_MS;
    const liveStepMs = setup.liveIntervalSeconds === undefined ? undefined : setup.liveIntervalSeconds * 1000;
    this.#live = liveStepMs !== undefined;
    this.#simulation = new ReceiverSimulation({
      profile,
      db: this.db,
      clock: this.clock,
      identity: this.identity,
      glucose,
      sessions,
      timeline,
      grid: new ReadingGrid(firstSlotMs, lastSlotMs, READING_INTERVAL_MS, liveStepMs, nowMs),
      seed: prng.fork("simulation").seed,
      transmitterStartMs: historyStartMs - r.int(1, 20) * DAY_MS,
      dstShiftSeconds,
      settings: defaultSettings(this.device.clockMode),
      startMs: historyStartMs,
      salt: setup.salt === true ? new Salt() : undefined,
    });
    this.#simulation.advanceTo(nowMs);
  }

  /** Live mode: writes every reading and event due by now. A no-op otherwise. */
  advance(): void {
    if (this.#live) this.#simulation.advanceTo(this.clock.nowMs());
  }

  /** WriteDisplayTimeOffset (§6.1): later records carry the new offset; a settings record notes it. */
  writeDisplayOffset(offsetSeconds: number): void {
    this.advance();
    this.#simulation.writeDisplayOffset(offsetSeconds, this.clock.nowMs());
  }

  /** ReadBatteryState (§3.1): charging while USB supplies current, unless full. */
  get batteryState(): number {
    const supplying = this.device.chargerLevel >= 1 && this.device.chargerLevel <= 3;
    return supplying && this.device.batteryLevel < 100 ? 1 : 2;
  }

  #writeXmlRecords(
    r: Prng,
    manufacturedMs: number,
    historyStartMs: number,
    pcZoneOffsetSeconds: number,
    replayed: ReadonlySet<number>,
  ): void {
    // A replayed document stands: the receiver holds one manufacturing record, not two.
    const append = (type: number, record: NewRecord<XmlRecord>) => {
      if (!replayed.has(type)) this.db.append(type, record);
    };
    const factorySystem = this.clock.systemAt(manufacturedMs);
    const factoryLocal = factorySystem + FACTORY_UTC_OFFSET_SECONDS;
    append(RECORD_TYPE.MANUFACTURING_DATA, {
      kind: "xml",
      systemSeconds: factorySystem,
      displaySeconds: factoryLocal,
      xml: manufacturingXml(
        this.profile,
        this.identity,
        factoryLocal,
        r.int(0, 999),
        FACTORY_UTC_OFFSET_SECONDS,
      ),
    });
    const firmwareSystem = factorySystem + r.int(600, 7200);
    append(RECORD_TYPE.FIRMWARE_PARAMETER_DATA, {
      kind: "xml",
      systemSeconds: firmwareSystem,
      displaySeconds: firmwareSystem + FACTORY_UTC_OFFSET_SECONDS,
      xml: firmwareParameterXml(),
    });
    const pcSystem = this.clock.systemAt(historyStartMs - r.int(1, 20) * DAY_MS);
    const pcDisplay = pcSystem + this.clock.displayOffset;
    append(RECORD_TYPE.PC_SOFTWARE_PARAMETER, {
      kind: "xml",
      systemSeconds: pcSystem,
      displaySeconds: pcDisplay,
      xml: pcParameterXml(this.identity, pcDisplay, r.int(0, 999), pcZoneOffsetSeconds),
    });
  }
}

/** Settings of a receiver set up with the usual alarms (§5.7 enable flags). */
function defaultSettings(clockMode: number): SettingsValues {
  return {
    enableFlags: 0x0010 | 0x0020 | 0x0040 | 0x0080 | 0x0100 | (clockMode === 0 ? 0x0002 : 0),
    highAlarmLevel: 200,
    highAlarmSnooze: 60,
    lowAlarmLevel: 80,
    lowAlarmSnooze: 30,
    riseRate: 3,
    fallRate: 3,
    outOfRangeSnooze: 30,
    language: 0x0409,
    alarmProfile: 3,
    setupState: 5,
    urgentLowSoonSnooze: 30,
    brightness: 2,
    graphHeight: 0,
  };
}

/** The serial: the replayed manufacturing record's when one was replayed (a `serial` must agree). */
function serialOf(setup: ReceiverSetup): string | undefined {
  const replayed = setup.replay === undefined ? undefined : replayedSerial(setup.replay);
  if (replayed !== undefined && setup.serial !== undefined && setup.serial !== replayed) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      `serial ${setup.serial} contradicts the replayed manufacturing record's serial ${replayed}`,
      { serial: setup.serial, replayed },
    );
  }
  return replayed ?? setup.serial;
}

/**
 * With a replay: the system clock skew that starts the generated history one reading interval after
 * the newest replayed record (replay.ts), so real and generated readings form one history.
 */
function replaySkewSeconds(replay: ReplayPages | undefined, historyStartMs: number): number | undefined {
  const newest = replay === undefined ? undefined : newestReplayedSystemSeconds(replay);
  if (newest === undefined) return undefined;
  return newest + READING_INTERVAL_MS / 1000 - Math.floor((historyStartMs - RECEIVER_EPOCH_MS) / 1000);
}
