/**
 * What Share made of each reading, told to whoever keeps a record of it (the local archive, alerts,
 * MQTT): the Share sink reports an outcome for every reading it settles or holds back. Listeners are
 * called synchronously and must not throw or block (they queue their own work); a listener's trouble
 * never affects posting.
 */
import type { Reading } from "../readings/reading.js";

export type ShareOutcome =
  /** Share stored it (an empty 200). */
  | "stored"
  /** Share already had it (DuplicateEgvPosted): it is on Share. */
  | "duplicate"
  /** Share called it future (FutureEgvPosted): not on Share yet, posted again next cycle. */
  | "held"
  /** Share keeps refusing it for its content: set aside, retried once a day (share-api §18.7). */
  | "quarantined"
  /** Never posted: the reading's skip reason says why (display-only, special, …). */
  | "skipped";

export interface OutcomeEvent {
  readonly serial: string;
  readonly reading: Reading;
  readonly outcome: ShareOutcome;
  /** Share's fault code for a quarantined reading. */
  readonly fault?: string | undefined;
  /** When Share answered (true UTC, ms). */
  readonly atMs: number;
}

export type OutcomeListener = (event: OutcomeEvent) => void;

/** Fans one event out to many listeners; a listener that throws is logged by the caller and skipped. */
export class Outcomes {
  readonly #listeners = new Set<OutcomeListener>();

  subscribe(listener: OutcomeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: OutcomeEvent, onError: (error: unknown) => void = () => undefined): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        onError(error);
      }
    }
  }
}
