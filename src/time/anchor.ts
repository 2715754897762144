/**
 * The per-cycle clock anchor (DESIGN.md §5, spec receiver-protocol §6.3 approach B): one
 * `ReadSystemTime` per cycle, timed by the host, pairs the receiver's system clock with true UTC.
 *
 *   utc    = true UTC at the midpoint of the ReadSystemTime round trip
 *   offset = utc − (epoch2009 + systemSeconds)                    (seconds, fractional)
 *
 * The receiver's clock counts whole seconds, so an anchor is good to about ±1 s plus half the round
 * trip (12–16 ms on real receivers, spec §1.5).
 */
import { SharebridgeError } from "../errors.js";
import { RECEIVER_EPOCH_MS } from "./epoch.js";
import { type TrueClock, trueUtcMs } from "./reference-clock.js";

/** A timed ReadSystemTime: the shape of the link's `callTimed(ReadSystemTime)` result. */
export interface SystemTimeSample {
  /** Receiver system seconds. */
  readonly value: number;
  /** Host clock just before the request was written, ms. */
  readonly sentAtMs: number;
  /** Host clock when the whole response had arrived, ms. */
  readonly receivedAtMs: number;
}

export interface ClockAnchor {
  readonly systemSeconds: number;
  /** True UTC at the round trip's midpoint, ms. */
  readonly utcMs: number;
  readonly roundTripMs: number;
  /** True UTC − receiver system clock, seconds (fractional). */
  readonly offsetSeconds: number;
}

/** Round trips longer than this cannot pin the clock to the 2 s hold tolerance. */
export const MAX_ANCHOR_ROUND_TRIP_MS = 4000;

export function measureAnchor(sample: SystemTimeSample, clock: TrueClock): ClockAnchor {
  const { value: systemSeconds, sentAtMs, receivedAtMs } = sample;
  const roundTripMs = receivedAtMs - sentAtMs;
  if (!Number.isInteger(systemSeconds) || systemSeconds < 0 || systemSeconds > 0xffffffff) {
    throw new SharebridgeError("CLOCK_UNSYNCHRONISED", "receiver system time is not a u32", {
      systemSeconds,
    });
  }
  if (!Number.isFinite(roundTripMs) || roundTripMs < 0) {
    throw new SharebridgeError(
      "CLOCK_UNSYNCHRONISED",
      "host clock stepped during the ReadSystemTime round trip",
      {
        sentAtMs,
        receivedAtMs,
      },
    );
  }
  if (roundTripMs > MAX_ANCHOR_ROUND_TRIP_MS) {
    throw new SharebridgeError(
      "CLOCK_UNSYNCHRONISED",
      "ReadSystemTime round trip too long to anchor the clock",
      {
        roundTripMs,
        maxMs: MAX_ANCHOR_ROUND_TRIP_MS,
      },
    );
  }
  const utcMs = trueUtcMs(clock, sentAtMs + roundTripMs / 2);
  return {
    systemSeconds,
    utcMs,
    roundTripMs,
    offsetSeconds: (utcMs - (RECEIVER_EPOCH_MS + systemSeconds * 1000)) / 1000,
  };
}
