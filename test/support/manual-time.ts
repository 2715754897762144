/**
 * Fake time for code that takes an injected `Clock` and `Timers` (src/clock.ts): the clock starts at
 * a fixed epoch and moves only when a timer is due. `run(promise)` lets real I/O and microtasks
 * settle (in-process transports deliver on setImmediate), then jumps to the next timer, fires it,
 * and repeats until the promise settles: timeouts of seconds take no real time, and a test reads
 * exactly how much fake time passed.
 */
import type { Clock, TimerHandle, Timers } from "../../src/clock.js";

/** A fixed start for fake clocks: 2026-11-24 12:00:00 UTC. */
export const FAKE_EPOCH_MS = Date.UTC(2026, 10, 24, 12, 0, 0);

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ManualTime implements Clock, Timers {
  #now: number;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(startMs = FAKE_EPOCH_MS) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    this.#pending.set(seq, { at: this.#now + Math.max(0, ms), seq, callback });
    return seq;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as number);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#pending.size;
  }

  /**
   * Lets queued I/O callbacks and microtasks run: event-loop turns, no timers. An in-process
   * request and its answer take two or three turns; 64 covers a queue of them.
   */
  async flush(turns = 64): Promise<void> {
    for (let i = 0; i < turns; i++) await turn();
  }

  /** Moves the clock forward by `ms` at once, firing every timer due on the way, in order (no I/O). */
  tick(ms: number): void {
    const until = this.#now + ms;
    for (let next = this.#next(); next !== undefined && next.at <= until; next = this.#next())
      this.#fire(next);
    this.#now = until;
  }

  /** Moves the clock forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await this.flush();
    for (let next = this.#next(); next !== undefined && next.at <= until; next = this.#next()) {
      this.#fire(next);
      await this.flush();
    }
    this.#now = until;
  }

  /**
   * Settles `promise`, jumping from timer to timer while it is pending. Fails when it is still
   * pending after `maxMs` of fake time, or when nothing is left that could settle it.
   */
  async run<T>(promise: Promise<T>, maxMs = 600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    const limit = this.#now + maxMs;
    await this.flush();
    while (!settled) {
      const next = this.#next();
      if (next === undefined) throw new Error("nothing left to run, and the promise is pending");
      if (next.at > limit) throw new Error(`still pending after ${maxMs} ms of fake time`);
      this.#fire(next);
      await this.flush();
    }
    return promise;
  }

  #next(): Pending | undefined {
    let first: Pending | undefined;
    for (const p of this.#pending.values()) {
      if (first === undefined || p.at < first.at || (p.at === first.at && p.seq < first.seq)) first = p;
    }
    return first;
  }

  #fire(pending: Pending): void {
    this.#pending.delete(pending.seq);
    this.#now = Math.max(this.#now, pending.at);
    pending.callback();
  }
}
