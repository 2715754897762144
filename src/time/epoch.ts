/**
 * The receiver epoch as the time layer and its callers import it. The definition and the arithmetic
 * live in the wire module (src/wire/epoch.ts, spec receiver-protocol §6.1); this path is kept so that
 * code above the records layer names time helpers from `time/`.
 */
export {
  naiveMsToReceiverSeconds,
  RECEIVER_EPOCH_MS,
  receiverSecondsToNaiveIso,
  receiverSecondsToNaiveMs,
} from "../wire/epoch.js";
