/**
 * The emulated receiver's three clocks (spec receiver-protocol §6.1):
 *
 *   RTC            hardware counter, seconds since the last reset
 *   system time  = RTC + SystemTimeOffset                      (ReadSystemTime / ReadSystemTimeOffset)
 *   display time = system time + DisplayTimeOffset             (what the wearer sees)
 *
 * All three are "receiver seconds" since 2009-01-01 00:00:00 with no zone (§6.1). They run at host
 * speed from an injectable host clock (`now`, ms since the Unix epoch) so that tests can drive them
 * with fake time. The system clock is deliberately NOT true UTC (§6.1: "not reliable UTC in the
 * field"): it is skewed by a configurable amount and may drift by a configurable rate, so that code
 * treating system time as UTC fails against the emulator as it would against a real receiver.
 */
import { receiverSecondsToNaiveMs } from "../../wire/epoch.js";

export interface ClockSettings {
  /** Host time (Unix ms) at which the system clock read `systemAtAnchor`. */
  readonly anchorHostMs: number;
  /** System time, receiver seconds, at `anchorHostMs`. */
  readonly systemAtAnchor: number;
  /** Rate error of the receiver's crystal in parts per million (positive runs fast). */
  readonly driftPpm: number;
  /** ReadSystemTimeOffset: system time − RTC, seconds (i32). */
  readonly systemTimeOffset: number;
  /** ReadDisplayTimeOffset at start: display time − system time, seconds (i32). */
  readonly displayOffset: number;
}

export class ReceiverClock {
  readonly #now: () => number;
  readonly #settings: ClockSettings;
  #displayOffset: number;

  constructor(now: () => number, settings: ClockSettings) {
    this.#now = now;
    this.#settings = settings;
    this.#displayOffset = settings.displayOffset;
  }

  /** Host time now, Unix ms. */
  nowMs(): number {
    return this.#now();
  }

  /** System time (receiver seconds, whole) the receiver shows at host time `hostMs`. */
  systemAt(hostMs: number): number {
    const { anchorHostMs, systemAtAnchor, driftPpm } = this.#settings;
    const elapsedSeconds = ((hostMs - anchorHostMs) / 1000) * (1 + driftPpm / 1e6);
    return Math.floor(systemAtAnchor + elapsedSeconds);
  }

  get systemTime(): number {
    return this.systemAt(this.#now());
  }

  get systemTimeOffset(): number {
    return this.#settings.systemTimeOffset;
  }

  /** RTC + SystemTimeOffset = SystemTime exactly (§6.1, verified on CAP). */
  get rtc(): number {
    return this.systemTime - this.#settings.systemTimeOffset;
  }

  get displayOffset(): number {
    return this.#displayOffset;
  }

  /** WriteDisplayTimeOffset (§6.1): only the display offset changes; records already written keep theirs. */
  setDisplayOffset(offsetSeconds: number): void {
    this.#displayOffset = offsetSeconds;
  }

  get displayTime(): number {
    return this.systemTime + this.#displayOffset;
  }
}

/** Receiver seconds → "YYYY-MM-DD HH:MM:SS" of the naive wall clock they denote (§6.1). */
export function receiverSecondsToWallClock(seconds: number): {
  date: string;
  time: string;
} {
  const iso = new Date(receiverSecondsToNaiveMs(seconds)).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/**
 * The `DateTimeCreated` form of the XML records (§4.8): `YYYY-MM-DD HH:MM:SS.fff ±HH:MM`, the local
 * wall time `localSeconds` (receiver seconds) in a zone `utcOffsetSeconds` seconds from UTC.
 */
export function formatDateTimeCreated(
  localSeconds: number,
  millis: number,
  utcOffsetSeconds: number,
): string {
  const { date, time } = receiverSecondsToWallClock(localSeconds);
  const sign = utcOffsetSeconds < 0 ? "-" : "+";
  const abs = Math.abs(utcOffsetSeconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, "0");
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, "0");
  return `${date} ${time}.${String(millis).padStart(3, "0")} ${sign}${hh}:${mm}`;
}
