/**
 * The receiver epoch (spec receiver-protocol §6.1): clocks count seconds since 2009-01-01 00:00:00
 * with no zone attached. These helpers only render receiver seconds; turning them into true time is
 * the clock model's job (src/time/).
 */
export const RECEIVER_EPOCH_MS = Date.UTC(2009, 0, 1);

/** Receiver seconds as a zone-less wall-clock string "YYYY-MM-DD HH:MM:SS" (the receiver's own view). */
export function receiverSecondsToIso(seconds: number): string {
  return new Date(RECEIVER_EPOCH_MS + seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}
