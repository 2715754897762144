/**
 * The receiver epoch (spec receiver-protocol §6.1): every receiver time is a u32 count of seconds
 * since 2009-01-01 00:00:00 with no zone attached. Which real instant a count means depends on the
 * clock it came from (system or display, §6.2) and on the clock model (src/time/clock-model.ts);
 * these helpers only do the arithmetic. The one definition of the epoch: the time layer, the Share
 * payload checks and the emulator all take it from here.
 */

/** 2009-01-01T00:00:00Z in Unix milliseconds. */
export const RECEIVER_EPOCH_MS = Date.UTC(2009, 0, 1);
/** 2009-01-01T00:00:00Z in Unix seconds (1 230 768 000): no receiver clock can show an earlier time. */
export const RECEIVER_EPOCH_SECONDS = RECEIVER_EPOCH_MS / 1000;
/** Largest value a u32 receiver-seconds field can hold (2145-02-07). */
export const MAX_RECEIVER_SECONDS = 0xffff_ffff;

/** Receiver seconds read as if they were UTC (a "naive" instant), in Unix milliseconds. */
export function receiverSecondsToNaiveMs(seconds: number): number {
  return RECEIVER_EPOCH_MS + seconds * 1000;
}

/** Unix milliseconds → receiver seconds (fractional), the inverse of `receiverSecondsToNaiveMs`. */
export function naiveMsToReceiverSeconds(ms: number): number {
  return (ms - RECEIVER_EPOCH_MS) / 1000;
}

/**
 * Receiver seconds as the zone-less wall-clock text the receiver itself would show, e.g.
 * `2013-09-13T02:32:35` (no `Z`: the count carries no zone).
 */
export function receiverSecondsToNaiveIso(seconds: number): string {
  return new Date(receiverSecondsToNaiveMs(seconds)).toISOString().slice(0, 19);
}
