/** Timers that fire only when the test advances them (the Timers interface of src/clock.ts). */
import type { TimerHandle, Timers } from "../../../src/clock.js";

interface Pending {
  readonly id: number;
  readonly atMs: number;
  readonly callback: () => void;
}

export class ManualTimers implements Timers {
  nowMs = 0;
  #next = 1;
  #pending: Pending[] = [];

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#pending.push({ id, atMs: this.nowMs + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending = this.#pending.filter((p) => p.id !== handle);
  }

  /** Timers waiting, with how far ahead each fires. */
  waiting(): number[] {
    return this.#pending.map((p) => p.atMs - this.nowMs).sort((a, b) => a - b);
  }

  /** Moves time by `ms`, firing what falls due in order (and what those schedule within it). */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    for (;;) {
      const due = this.#pending.filter((p) => p.atMs <= until).sort((a, b) => a.atMs - b.atMs)[0];
      if (due === undefined) break;
      this.#pending = this.#pending.filter((p) => p !== due);
      this.nowMs = due.atMs;
      due.callback();
      // Let what the callback started (a request, a promise chain) run.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    }
    this.nowMs = until;
  }
}
