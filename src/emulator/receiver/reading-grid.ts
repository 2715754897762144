/** When periodic readings happen: the 5-minute history grid, continued by live mode. */

/**
 * Reading times: every `historyStepMs` from `firstMs` to `lastHistoryMs`, then (live) every
 * `liveStepMs` continuing the same grid, starting with its first point after `liveAfterMs`.
 */
export class ReadingGrid {
  #next: number;
  readonly #lastHistoryMs: number;
  readonly #historyStepMs: number;
  readonly #liveStepMs: number | undefined;
  readonly #firstLiveMs: number;

  constructor(
    firstMs: number,
    lastHistoryMs: number,
    historyStepMs: number,
    liveStepMs?: number,
    liveAfterMs = 0,
  ) {
    this.#lastHistoryMs = lastHistoryMs;
    this.#historyStepMs = historyStepMs;
    this.#liveStepMs = liveStepMs;
    this.#firstLiveMs =
      liveStepMs === undefined
        ? Number.POSITIVE_INFINITY
        : lastHistoryMs +
          (Math.floor(Math.max(0, liveAfterMs - lastHistoryMs) / liveStepMs) + 1) * liveStepMs;
    this.#next = firstMs <= lastHistoryMs ? firstMs : this.#firstLiveMs;
  }

  peek(): number {
    return this.#next;
  }

  advance(): void {
    if (this.#next < this.#lastHistoryMs) this.#next += this.#historyStepMs;
    else if (this.#next === this.#lastHistoryMs) this.#next = this.#firstLiveMs;
    else this.#next += this.#liveStepMs ?? Number.POSITIVE_INFINITY;
  }
}
