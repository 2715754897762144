/**
 * What the link logs about the bytes on the line, bounded whatever the line carries:
 *
 * - Discarded bytes (debug): the first report at once, then at most one summary per interval with
 *   everything discarded since (bytes, reports, false starts, reasons). A line flooded with false
 *   starts wrote one debug line per few bytes before (about 600 MB of logs a minute); now it writes
 *   a line per interval.
 * - Frames (trace, for bug reports): each request and reply as hex, `tx` or `rx`, at most
 *   `framesPerInterval` per interval; the next line logged says how many were left out.
 *
 * Nothing is formatted unless its level is enabled. Time comes from the injected clock.
 */
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { toHex } from "../util/hex.js";
import { encodePacket, type Packet } from "../wire/packet.js";
import type { DeframerEvent } from "./deframer.js";

export interface WireLogOptions {
  /** Length of a rate-limit interval, ms. Default 10 000. */
  readonly intervalMs?: number;
  /** Frames logged per interval at trace level. Default 100. */
  readonly framesPerInterval?: number;
}

type Discarded = Extract<DeframerEvent, { kind: "discarded" }>;

interface DiscardSummary {
  bytes: number;
  reports: number;
  falseStarts: number;
  reasons: Record<string, number>;
}

const emptySummary = (): DiscardSummary => ({ bytes: 0, reports: 0, falseStarts: 0, reasons: {} });

export class WireLog {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #framesPerInterval: number;
  /** When the last discard line was written (−∞: none yet). */
  #discardLoggedAtMs = Number.NEGATIVE_INFINITY;
  #pending = emptySummary();
  #frameWindowStartMs = Number.NEGATIVE_INFINITY;
  #framesInWindow = 0;
  #framesLeftOut = 0;

  constructor(log: Logger, clock: Clock, options: WireLogOptions = {}) {
    this.#log = log;
    this.#clock = clock;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#framesPerInterval = options.framesPerInterval ?? 100;
  }

  /** Counts a discard report; writes a summary when the interval since the last one has passed. */
  discarded(event: Discarded): void {
    if (event.reason === "reset" || !this.#log.isLevelEnabled("debug")) return;
    const pending = this.#pending;
    pending.bytes += event.count;
    pending.reports++;
    pending.falseStarts += event.falseStarts;
    pending.reasons[event.reason] = (pending.reasons[event.reason] ?? 0) + event.count;
    const now = this.#clock.now();
    if (now - this.#discardLoggedAtMs < this.#intervalMs) return;
    this.#discardLoggedAtMs = now;
    this.#pending = emptySummary();
    this.#log.debug({ ...pending, preview: toHex(event.preview) }, "discarded bytes");
  }

  /** Writes what is still counted (at close). */
  flush(): void {
    if (this.#pending.reports === 0) return;
    const pending = this.#pending;
    this.#pending = emptySummary();
    this.#log.debug({ ...pending }, "discarded bytes");
  }

  /** A request written (`tx`) or a reply received (`rx`), as hex at trace level. */
  frame(direction: "tx", bytes: Uint8Array): void;
  frame(direction: "rx", packet: Packet): void;
  frame(direction: "tx" | "rx", frame: Uint8Array | Packet): void {
    if (!this.#log.isLevelEnabled("trace")) return;
    const now = this.#clock.now();
    if (now - this.#frameWindowStartMs >= this.#intervalMs) {
      this.#frameWindowStartMs = now;
      this.#framesInWindow = 0;
    }
    if (this.#framesInWindow >= this.#framesPerInterval) {
      this.#framesLeftOut++;
      return;
    }
    this.#framesInWindow++;
    // A reply passed its CRC, so encoding its code and payload again gives the bytes received.
    const bytes = frame instanceof Uint8Array ? frame : encodePacket(frame.code, frame.payload);
    const leftOut = this.#framesLeftOut;
    this.#framesLeftOut = 0;
    this.#log.trace(
      {
        direction,
        length: bytes.length,
        hex: toHex(bytes),
        ...(leftOut > 0 ? { framesLeftOut: leftOut } : {}),
      },
      "frame",
    );
  }
}
