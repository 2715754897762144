/**
 * A salted history (`salt` option, `emulate receiver --salt`): the generator's EGV readings carry, now
 * and then, the values a client must map or skip and that a healthy G4 rarely or never writes
 * (share-api §18.1, §18.4; receiver-protocol §5.1). Every `SALT_EVERY_READINGS`th regular reading
 * (not display-only, not already a special value) becomes the next case of this cycle:
 *
 *   trend 8 (NotComputable)         posted with trend 0
 *   trend 9 (RateOutOfRange)        posted with trend 0
 *   a LOW value, 20–38              posted as 39
 *   a HIGH value, 402–1022          posted as 401
 *   a special code, 0–19            never posted
 *   a display time beyond 2100      never posted (a damaged record): once per receiver, then skipped
 *
 * Values inside a case come from the reading's own seeded stream, so a salted history is the same
 * for the same seed however it is generated (history or live).
 */
import { TREND } from "../../records/trend.js";
import type { EgvRecord, NewRecord } from "./model.js";
import type { Prng } from "./prng.js";

/** Every this many regular readings, one is salted. */
export const SALT_EVERY_READINGS = 5;

/** DisplayTime of the damaged record: 0xF0000000 s after 2009-01-01 is in 2136. */
export const DISPLAY_SECONDS_BEYOND_2100 = 0xf000_0000;

type Case = "trend-8" | "trend-9" | "low" | "high" | "special" | "display-beyond-2100";
const CASES: readonly Case[] = ["trend-8", "trend-9", "low", "high", "special", "display-beyond-2100"];

export class Salt {
  #regular = 0;
  #salted = 0;
  #damagedWritten = false;

  /** `reading` as the receiver stores it: unchanged, or salted with the next case. */
  apply(reading: NewRecord<EgvRecord>, r: Prng): NewRecord<EgvRecord> {
    if (reading.displayOnly || reading.special !== null) return reading;
    if (++this.#regular % SALT_EVERY_READINGS !== 0) return reading;
    let next = CASES[this.#salted++ % CASES.length] as Case;
    if (next === "display-beyond-2100" && this.#damagedWritten)
      next = CASES[this.#salted++ % CASES.length] as Case;
    switch (next) {
      case "trend-8":
        return { ...reading, trend: TREND.NotComputable };
      case "trend-9":
        return { ...reading, trend: TREND.RateOutOfRange };
      case "low":
        return { ...reading, glucose: r.int(20, 38) };
      case "high":
        return { ...reading, glucose: r.int(402, 1022) };
      case "special": {
        const code = r.int(0, 19);
        return { ...reading, glucose: code, special: code };
      }
      case "display-beyond-2100":
        this.#damagedWritten = true;
        return { ...reading, displaySeconds: DISPLAY_SECONDS_BEYOND_2100 };
    }
  }
}
