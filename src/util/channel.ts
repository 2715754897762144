/**
 * A bounded first-in first-out channel between one producer and one consumer (the sync engine's
 * reader and each sink). `push` waits while the channel is full, so a slow consumer slows the
 * producer instead of letting memory grow; `abandon` (the consumer gave up) makes every further push
 * a no-op, so one failed consumer never blocks the producer or the other consumers.
 */
import { fail } from "../errors.js";

export class Channel<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #closed = false;
  #abandoned = false;
  /** Wakes the consumer when an item arrives or the channel closes. */
  #notifyConsumer: (() => void) | undefined;
  /** Wakes the producer when room appears or the channel is abandoned. */
  #notifyProducer: (() => void) | undefined;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) fail("INTERNAL", "a channel holds at least one item");
    this.#capacity = capacity;
  }

  /** Resolves once the item is queued (or dropped, when the consumer abandoned the channel). */
  async push(item: T): Promise<void> {
    while (!this.#abandoned && this.#items.length >= this.#capacity) {
      await new Promise<void>((resolve) => {
        this.#notifyProducer = resolve;
      });
    }
    if (this.#abandoned || this.#closed) return;
    this.#items.push(item);
    this.#wakeConsumer();
  }

  /** No more items: the consumer drains what is queued, then its iteration ends. */
  close(): void {
    this.#closed = true;
    this.#wakeConsumer();
  }

  /** The consumer stops: queued items are dropped, and pushes return at once from now on. */
  abandon(): void {
    this.#abandoned = true;
    this.#items.length = 0;
    this.#wakeProducer();
    this.#wakeConsumer();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        this.#wakeProducer();
        yield item;
        continue;
      }
      if (this.#closed || this.#abandoned) return;
      await new Promise<void>((resolve) => {
        this.#notifyConsumer = resolve;
      });
    }
  }

  #wakeConsumer(): void {
    const wake = this.#notifyConsumer;
    this.#notifyConsumer = undefined;
    wake?.();
  }

  #wakeProducer(): void {
    const wake = this.#notifyProducer;
    this.#notifyProducer = undefined;
    wake?.();
  }
}
