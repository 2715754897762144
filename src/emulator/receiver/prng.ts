/**
 * The emulator's only source of randomness: a small seeded generator (mulberry32), so that the same
 * seed always gives the same receiver, byte for byte. `Math.random` is never used.
 *
 * Independent concerns draw from independent streams (`fork("glucose")`, `fork("faults")`, …): adding
 * a draw in one place then does not shift every value generated elsewhere.
 */

import { SharebridgeError } from "../../errors.js";

/** FNV-1a over the label, mixed with the parent seed: a stable 32-bit seed per named stream. */
export function deriveSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // One round of a 32-bit finaliser so that nearby seeds give unrelated streams.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return hash >>> 0;
}

export class Prng {
  #state: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform real in [min, max). */
  range(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Normally distributed (Box–Muller), for sensor and meter error. */
  normal(mean: number, deviation: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + deviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new SharebridgeError("INTERNAL", "pick from an empty list");
    return item;
  }

  /** An independent stream named `label`, derived from this generator's seed (not its position). */
  fork(label: string): Prng {
    return new Prng(deriveSeed(this.seed, label));
  }
}
