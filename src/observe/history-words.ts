/**
 * An archived reading in words, for people (`sharebridge history`'s table, the status page): its
 * value in the display unit, its trend, and what became of it on Share.
 */
import type { SkipReason } from "../readings/reading.js";
import { trendWords } from "../readings/trend-words.js";
import { type DisplayUnit, glucoseText } from "../readings/units.js";
import type { ArchivedReading } from "../sinks/archive/archive-reader.js";

const SKIP_WORDS: Readonly<Record<SkipReason, string>> = {
  "display-only": "not posted: replaced by a calibration",
  special: "not posted: a sensor state, not a value",
  "out-of-window": "not posted: older than the backfill window",
  "ahead-of-receiver-clock": "not posted: the receiver's clock was set back",
  "unrepresentable-time": "not posted: its time is damaged",
};

/** The value as shown: "123", "6.8", "LOW", "HIGH", or "—" for a sensor state. */
export function valueText(reading: ArchivedReading, unit: DisplayUnit): string {
  return reading.mgdl === undefined ? "—" : glucoseText(reading.mgdl, unit);
}

/** "→ steady". */
export function trendText(trend: number): string {
  const { arrow, words } = trendWords(trend);
  return arrow === "" ? words : `${arrow} ${words}`;
}

/** What became of the reading on Share, in words. */
export function outcomeText(reading: ArchivedReading): string {
  if (reading.skip !== undefined) return SKIP_WORDS[reading.skip];
  switch (reading.outcome) {
    case "stored":
      return "on Share";
    case "duplicate":
      return "on Share (already there)";
    case "held":
      return "held: Share calls it future, posted again";
    case "quarantined":
      return `quarantined: Share refuses it${reading.fault === undefined ? "" : ` (${reading.fault})`}, retried daily`;
    case "skipped":
      return "not posted";
    case undefined:
      return "waiting to be posted";
  }
}

/** The reading's time as the wearer's receiver shows it ("2026-03-10 15:31"), else UTC with "UTC". */
export function wallTimeText(reading: ArchivedReading): string {
  if (reading.displayMs !== undefined)
    return new Date(reading.displayMs).toISOString().slice(0, 16).replace("T", " ");
  if (reading.utcMs !== undefined)
    return `${new Date(reading.utcMs).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return "(no time)";
}
