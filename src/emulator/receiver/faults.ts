/**
 * Seeded fault injection on replies (spec receiver-protocol §7.2, last paragraph; DESIGN.md §9):
 *
 *   crc=P       the reply's packet CRC is corrupted
 *   nak=P       NAK (2) instead of the answer
 *   error=P     RECEIVER_ERROR (6) instead of the answer
 *   silence=P   no reply at all (the host times out)
 *   short=P     a valid packet whose payload is shorter (or, when empty, longer) than the command's
 *   garbage=P   1–16 random bytes (never 0x01) written before the reply
 *   split=P     the reply written in 2–5 pieces with 1–5 ms gaps
 *   unplug-after=N   after N replies, the next one is cut off mid-transfer and the device vanishes (once)
 *   unplug-every=N   the same, every N replies
 *
 * silence, nak, error, short and crc exclude each other (their probabilities must sum to ≤ 1);
 * garbage and split combine with any of them. Garbage never contains 0x01 so that it exercises
 * resynchronisation rather than a false start-of-frame swallowing the real reply until a timeout.
 */
import { describeError, SharebridgeError } from "../../errors.js";
import type { Prng } from "./prng.js";

export interface FaultSpec {
  readonly crc?: number;
  readonly nak?: number;
  readonly error?: number;
  readonly silence?: number;
  readonly short?: number;
  readonly garbage?: number;
  readonly split?: number;
  readonly unplugAfter?: number;
  readonly unplugEvery?: number;
}

const PROBABILITY_KEYS = ["crc", "nak", "error", "silence", "short", "garbage", "split"] as const;
const EXCLUSIVE_KEYS = ["silence", "nak", "error", "short", "crc"] as const;
const COUNT_KEYS = { "unplug-after": "unplugAfter", "unplug-every": "unplugEvery" } as const;

export type FaultKind = (typeof PROBABILITY_KEYS)[number] | "unplug";

/** Validates a spec object (CONFIG_INVALID naming the key). */
export function checkFaultSpec(spec: FaultSpec): FaultSpec {
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined) continue;
    if ((PROBABILITY_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
        throw new SharebridgeError("CONFIG_INVALID", `fault ${key} must be a probability in [0, 1]`, {
          key,
          value,
        });
      }
    } else if (key === "unplugAfter" || key === "unplugEvery") {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 1_000_000_000) {
        throw new SharebridgeError("CONFIG_INVALID", `fault ${key} must be a whole number of replies`, {
          key,
          value,
        });
      }
    } else {
      throw new SharebridgeError("CONFIG_INVALID", `unknown fault "${key}"`, { key });
    }
  }
  const exclusive = EXCLUSIVE_KEYS.reduce((sum, key) => sum + (spec[key] ?? 0), 0);
  if (exclusive > 1 + 1e-9) {
    throw new SharebridgeError("CONFIG_INVALID", "silence + nak + error + short + crc must not exceed 1", {
      sum: exclusive,
    });
  }
  return spec;
}

/** Parses `crc=0.05,nak=0.05,unplug-after=20` (USAGE error naming the bad item). */
export function parseFaultSpec(text: string): FaultSpec {
  if (text.length > 500) throw new SharebridgeError("USAGE", "--faults is too long", { length: text.length });
  const spec: Record<string, number> = {};
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const match = /^([a-z-]+)=([0-9]+(?:\.[0-9]+)?)$/.exec(item);
    const name = match?.[1] ?? "";
    const value = Number(match?.[2]);
    const key = (PROBABILITY_KEYS as readonly string[]).includes(name)
      ? name
      : COUNT_KEYS[name as keyof typeof COUNT_KEYS];
    if (match === null || key === undefined) {
      throw new SharebridgeError(
        "USAGE",
        `--faults: bad item "${item}" (expected ${PROBABILITY_KEYS.join("|")}=P or unplug-after|unplug-every=N)`,
        { item },
      );
    }
    if (Object.hasOwn(spec, key))
      throw new SharebridgeError("USAGE", `--faults: "${name}" given twice`, { item });
    spec[key] = value;
  }
  try {
    return checkFaultSpec(spec);
  } catch (error) {
    throw new SharebridgeError(
      "USAGE",
      `--faults: ${describeError(error)}`,
      { spec: text },
      { cause: error },
    );
  }
}

export interface FaultDecision {
  /** Replaces the answer: no reply, NAK or RECEIVER_ERROR. */
  readonly replace: "silence" | "nak" | "error" | undefined;
  readonly corruptCrc: boolean;
  readonly shortPayload: boolean;
  /** Bytes to write before the reply. */
  readonly garbage: Uint8Array | undefined;
  /** Split the reply into this many pieces. */
  readonly pieces: number;
  /** Cut the reply off after this many bytes and unplug. */
  readonly unplugAfterBytes: number | undefined;
}

export type FaultCounts = Record<FaultKind, number>;

export function emptyFaultCounts(): FaultCounts {
  return { crc: 0, nak: 0, error: 0, silence: 0, short: 0, garbage: 0, split: 0, unplug: 0 };
}

export class FaultInjector {
  #spec: FaultSpec;
  readonly #prng: Prng;
  readonly counts: FaultCounts;
  /** Replies sent since start (or since the last unplug, for unplug-every). */
  #replies = 0;
  #unplugAfterDone = false;

  constructor(spec: FaultSpec, prng: Prng, counts: FaultCounts) {
    this.#spec = checkFaultSpec(spec);
    this.#prng = prng;
    this.counts = counts;
  }

  set spec(spec: FaultSpec) {
    this.#spec = checkFaultSpec(spec);
    this.#replies = 0;
    this.#unplugAfterDone = false;
  }

  get spec(): FaultSpec {
    return this.#spec;
  }

  /** Decides the faults for one reply of `length` bytes about to be sent. */
  decide(length: number): FaultDecision {
    const s = this.#spec;
    const r = this.#prng;
    let unplugAfterBytes: number | undefined;
    const due =
      (s.unplugAfter !== undefined && !this.#unplugAfterDone && this.#replies >= s.unplugAfter) ||
      (s.unplugEvery !== undefined && s.unplugEvery > 0 && this.#replies >= s.unplugEvery);
    this.#replies++;
    if (due) {
      if (s.unplugAfter !== undefined) this.#unplugAfterDone = true;
      this.#replies = 0;
      this.counts.unplug++;
      unplugAfterBytes = length > 1 ? r.int(1, length - 1) : 0;
    }
    const u = r.next();
    let cumulative = 0;
    let exclusive: (typeof EXCLUSIVE_KEYS)[number] | undefined;
    for (const key of EXCLUSIVE_KEYS) {
      cumulative += s[key] ?? 0;
      if (u < cumulative) {
        exclusive = key;
        break;
      }
    }
    const garbage = r.chance(s.garbage ?? 0) ? this.#garbage() : undefined;
    const split = r.chance(s.split ?? 0);
    if (unplugAfterBytes !== undefined) {
      return {
        replace: undefined,
        corruptCrc: false,
        shortPayload: false,
        garbage: undefined,
        pieces: 1,
        unplugAfterBytes,
      };
    }
    if (exclusive !== undefined) this.counts[exclusive]++;
    if (garbage !== undefined) this.counts.garbage++;
    if (split) this.counts.split++;
    return {
      replace:
        exclusive === "silence" || exclusive === "nak" || exclusive === "error" ? exclusive : undefined,
      corruptCrc: exclusive === "crc",
      shortPayload: exclusive === "short",
      garbage,
      pieces: split ? r.int(2, 5) : 1,
      unplugAfterBytes: undefined,
    };
  }

  #garbage(): Uint8Array {
    const bytes = new Uint8Array(this.#prng.int(1, 16));
    for (let i = 0; i < bytes.length; i++) {
      const byte = this.#prng.int(0, 254);
      bytes[i] = byte >= 1 ? byte + 1 : byte; // 0, 2..255: never a start-of-frame
    }
    return bytes;
  }

  /** A random delay for the gaps of a split reply, ms. */
  gapMs(): number {
    return this.#prng.int(1, 5);
  }

  /** A non-zero value to XOR into a CRC byte. */
  crcFlip(): number {
    return this.#prng.int(1, 255);
  }

  /** How many bytes to take off (or add to) a payload for the `short` fault. */
  shortBy(payloadLength: number): number {
    return payloadLength === 0 ? 0 : this.#prng.int(1, Math.min(payloadLength, 16));
  }
}
