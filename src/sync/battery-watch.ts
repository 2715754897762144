/**
 * The receiver's battery, for the status page and the low-battery alert: read by the daemon after a
 * good cycle at most every BATTERY_CHECK_MS (two round trips: ReadBatteryLevel and ReadBatteryState,
 * receiver-protocol §3.1), never in the way of a reading. A receiver that refuses either (some
 * firmware does, and the level is unreliable over USB on some) leaves that fact unknown; a failure
 * costs the cycle nothing.
 */
import { BATTERY_STATES, ReadBatteryLevel, ReadBatteryState } from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";

/** How often the battery is read while the daemon runs, ms. */
export const BATTERY_CHECK_MS = 30 * 60_000;

export interface ReceiverBattery {
  /** The receiver it was read from. */
  readonly serial: string;
  /** Percent, 0–100; null when the receiver did not say. */
  readonly percent: number | null;
  /** charging, not-charging, ntc-fault, bad-battery; null when unknown. */
  readonly state: string | null;
  /** When it was read (host clock, ms). */
  readonly atMs: number;
}

export class BatteryWatch {
  #battery: ReceiverBattery | undefined;
  #lastTryMs = Number.NEGATIVE_INFINITY;

  /** The last reading of `serial`'s battery, kept while the receiver is away (with its time). */
  current(serial: string | undefined): ReceiverBattery | undefined {
    return this.#battery !== undefined && this.#battery.serial === serial ? this.#battery : undefined;
  }

  /** Reads the battery when the last try is BATTERY_CHECK_MS old (or the receiver changed). Never rejects. */
  async check(serial: string, receiver: ReceiverApi, nowMs: number): Promise<void> {
    const sameReceiver = this.#battery === undefined || this.#battery.serial === serial;
    if (sameReceiver && nowMs - this.#lastTryMs < BATTERY_CHECK_MS) return;
    this.#lastTryMs = nowMs;
    const level = await receiver.call(ReadBatteryLevel).catch(() => null);
    const state = await receiver.call(ReadBatteryState).catch(() => null);
    if (level === null && state === null) return;
    this.#battery = { serial, ...batteryFacts(level, state), atMs: nowMs };
  }
}

/** ReadBatteryLevel's and ReadBatteryState's answers as facts: a level outside 0–100 is unknown. */
export function batteryFacts(
  level: number | null,
  state: number | null,
): { percent: number | null; state: string | null } {
  return {
    percent: level !== null && level >= 0 && level <= 100 ? level : null,
    state: state === null ? null : (BATTERY_STATES[state as keyof typeof BATTERY_STATES] ?? null),
  };
}
