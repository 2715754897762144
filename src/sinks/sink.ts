/**
 * A sink: one destination for readings (DESIGN.md §1, §7) — Share first; a local archive, MQTT and
 * others later. The sync engine reads each new record once and hands the readings to every sink;
 * each sink keeps its own cursor in the state file, so an outage of one never holds back another.
 *
 *   engine ──open(context)──► writer ──write(readings)…──► end() ──► result
 *                                 │
 *                                 └─ context.settle(through, delivered): "every reading up to
 *                                    `through` has its fate settled" — the engine then persists
 *                                    this sink's cursor (awaited: nothing moves before it is on disk)
 *
 * Contract:
 * - `write` receives every reading after the sink's cursor, postable or not, in chunks: first those
 *   of EGV_DATA, oldest first, then (touchscreen receivers) those of BACKFILLED_EGV_DATA, oldest
 *   first — `reading.recordType` says which; each partition has its own cursor. It resolves when the
 *   sink can take more (backpressure): a slow destination slows the reading only as far as the
 *   engine's bounded queue allows.
 * - A sink settles only what its destination acknowledged, and never out of order (settling a
 *   backfilled reading settles every EGV reading handed before it).
 * - `end` delivers what is pending and settles the rest. A writer that throws is given nothing more
 *   this cycle; its cursor stays at its last settle.
 */
import type { Logger } from "../log.js";
import type { Reading } from "../readings/reading.js";

export interface SinkContext {
  /** The receiver's serial number (upper case). */
  readonly serial: string;
  readonly signal: AbortSignal | undefined;
  readonly log: Logger;
  /** True UTC now, ms (the cycle's clock). */
  nowUtcMs(): number;
  /**
   * Every reading up to and including `through` is settled; `delivered` are those the destination
   * acknowledged (a subset, for the sink's "last delivered" time and counts). Persists the cursor.
   */
  settle(through: Reading, delivered: readonly Reading[]): Promise<void>;
  /** The sink's own notes in the state file, as last saved (plain JSON data, validated by the sink). */
  readonly notes: unknown;
  /** Saves new notes (awaited: on disk before the sink goes on). At most 64 KiB as JSON. */
  saveNotes(notes: unknown): Promise<void>;
}

export interface SinkResult {
  /** Readings the destination acknowledged this cycle. */
  readonly delivered: number;
  /** Requests it took (posts, publishes, appends). */
  readonly requests: number;
  /** Readings the destination would not take yet (Share: called future), held back for later. */
  readonly held?: number;
  /** Readings set aside because the destination keeps refusing them (Share: quarantine), in all. */
  readonly quarantined?: number;
  /** The destination doubts our clock (Share called readings future): measure it afresh. */
  readonly clockSuspect?: boolean;
}

export interface SinkWriter {
  write(readings: readonly Reading[]): Promise<void>;
  end(): Promise<SinkResult>;
}

export interface Sink {
  /** Its key in the state file (`receivers[serial].sinks[name]`): short, lower case, stable. */
  readonly name: string;
  open(context: SinkContext): SinkWriter;
}
