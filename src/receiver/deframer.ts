/**
 * Streaming deframer: bytes in any chunking → whole packets (spec receiver-protocol §2.1, §2.6).
 *
 *   chunks ──► [queue of chunk views + byte count] ──► find SOF ──► bound length ──► wait ──► CRC ──► packet
 *                                                         │              │                      │
 *                                                         └── discarded (no-sof / bad-length / bad-crc)
 *
 * Rules:
 * - Bytes before a 0x01 are garbage (§2.6 step 1); they are reported, never thrown.
 * - The length field is checked against [6, maxLength] before anything waits or allocates for it.
 * - A candidate whose CRC fails gives up only its SOF byte: scanning resumes at the next byte, so a
 *   real packet hidden behind a false SOF in garbage is still found. (TP drops the whole candidate,
 *   which loses the real packet in that case.)
 * - A packet inside one chunk is emitted as a view of that chunk (no copy); only a packet spanning
 *   chunks is copied, once, into a buffer of its exact length. Never per-byte concatenation.
 * - A false SOF in garbage can announce a length that the real bytes never fill. Nothing in the
 *   stream can tell that apart from a slow packet, so the owner calls `idle()` when the line has
 *   been quiet: it looks for a complete, CRC-valid packet starting at a later SOF in the buffered
 *   bytes and, only if one exists, drops what precedes it (reason `stalled`).
 * - Payload views share memory with the chunks pushed in; callers that keep a payload beyond the
 *   current cycle copy it.
 */
import { SharebridgeError } from "../errors.js";
import { crc16 } from "../wire/crc16.js";
import {
  MIN_PACKET_LENGTH,
  PACKET_CRC_LENGTH,
  PACKET_HEADER_LENGTH,
  type Packet,
  SOF,
} from "../wire/packet.js";

export type DiscardReason = "no-sof" | "bad-length" | "bad-crc" | "stalled" | "reset";

export type DeframerEvent =
  | { readonly kind: "packet"; readonly packet: Packet }
  | {
      readonly kind: "discarded";
      readonly reason: DiscardReason;
      readonly count: number;
      /** Up to the first 16 discarded bytes, for logs and bug reports. */
      readonly preview: Uint8Array;
    };

export interface DeframerStats {
  packets: number;
  discardedBytes: number;
  badCrc: number;
  badLength: number;
}

const PREVIEW_LENGTH = 16;

export class Deframer {
  readonly stats: DeframerStats = { packets: 0, discardedBytes: 0, badCrc: 0, badLength: 0 };
  readonly #maxLength: number;
  readonly #onEvent: (event: DeframerEvent) => void;
  /** Unconsumed chunk views; `#chunks[0]` starts at its first unconsumed byte. */
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Garbage run being collected, reported as one event when a packet starts or push() ends. */
  #garbageCount = 0;
  #garbagePreview: number[] = [];

  /**
   * @param maxLength largest packet accepted, in bytes (≥ 6). Longer length fields are garbage.
   * @param onEvent called synchronously, in stream order, from `push` and `reset`.
   */
  constructor(maxLength: number, onEvent: (event: DeframerEvent) => void) {
    if (!Number.isInteger(maxLength) || maxLength < MIN_PACKET_LENGTH || maxLength > 0xffff) {
      throw new SharebridgeError(
        "CONFIG_INVALID",
        `maxLength must be an integer in [6, 65535], got ${maxLength}`,
        { option: "maxLength", value: maxLength },
      );
    }
    this.#maxLength = maxLength;
    this.#onEvent = onEvent;
  }

  /** Bytes held while waiting for the rest of a packet. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#drain();
    this.#flushGarbage("no-sof");
  }

  /** Drops everything buffered (reported as `reset`), e.g. before a new request. Returns the count. */
  reset(): number {
    this.#flushGarbage("no-sof");
    const count = this.#buffered;
    if (count > 0) {
      const preview = this.#peekRange(Math.min(PREVIEW_LENGTH, count));
      this.#chunks = [];
      this.#buffered = 0;
      this.stats.discardedBytes += count;
      this.#onEvent({ kind: "discarded", reason: "reset", count, preview });
    }
    return count;
  }

  /**
   * The line went quiet with a partial packet buffered: if a complete, valid packet starts at a later
   * SOF, drop the bytes before it and deliver it (and what follows). Returns whether it did. Never
   * drops anything otherwise, so calling it while a real packet is still arriving is harmless.
   */
  idle(): boolean {
    if (this.#buffered < MIN_PACKET_LENGTH + 1) return false;
    // While a candidate is incomplete, fewer than maxLength bytes are buffered: the copy is bounded.
    const all = this.#peekRange(this.#buffered);
    for (let start = all.indexOf(SOF, 1); start >= 0; start = all.indexOf(SOF, start + 1)) {
      if (start + MIN_PACKET_LENGTH > all.length) return false;
      const length = (all[start + 1] as number) | ((all[start + 2] as number) << 8);
      if (length < MIN_PACKET_LENGTH || length > this.#maxLength || start + length > all.length) continue;
      const stored = (all[start + length - 2] as number) | ((all[start + length - 1] as number) << 8);
      if (stored !== crc16(all, start, start + length - PACKET_CRC_LENGTH)) continue;
      this.#collectGarbage(all, start);
      this.#consume(start);
      this.#flushGarbage("stalled");
      this.#drain();
      this.#flushGarbage("no-sof");
      return true;
    }
    return false;
  }

  #drain(): void {
    for (;;) {
      if (!this.#skipToSof()) return;
      if (this.#buffered < 3) return;
      const length = this.#peek(1) | (this.#peek(2) << 8);
      if (length < MIN_PACKET_LENGTH || length > this.#maxLength) {
        this.stats.badLength++;
        this.#discardOne("bad-length");
        continue;
      }
      if (this.#buffered < length) return;
      const bytes = this.#contiguous(length);
      const stored = (bytes[length - 2] as number) | ((bytes[length - 1] as number) << 8);
      if (stored !== crc16(bytes, 0, length - PACKET_CRC_LENGTH)) {
        this.stats.badCrc++;
        this.#discardOne("bad-crc");
        continue;
      }
      this.#flushGarbage("no-sof");
      this.#consume(length);
      this.stats.packets++;
      this.#onEvent({
        kind: "packet",
        packet: {
          code: bytes[3] as number,
          payload: bytes.subarray(PACKET_HEADER_LENGTH, length - PACKET_CRC_LENGTH),
        },
      });
    }
  }

  /** Drops bytes up to the next SOF (collected as garbage). False when no SOF is buffered. */
  #skipToSof(): boolean {
    while (this.#chunks.length > 0) {
      const first = this.#chunks[0] as Uint8Array;
      const at = first.indexOf(SOF);
      if (at === 0) return true;
      const skip = at < 0 ? first.length : at;
      this.#collectGarbage(first, skip);
      this.#consume(skip);
    }
    return false;
  }

  #discardOne(reason: DiscardReason): void {
    this.#flushGarbage("no-sof");
    const first = this.#chunks[0] as Uint8Array;
    this.#collectGarbage(first, 1);
    this.#consume(1);
    this.#flushGarbage(reason);
  }

  #collectGarbage(from: Uint8Array, count: number): void {
    for (let i = 0; i < count && this.#garbagePreview.length < PREVIEW_LENGTH; i++) {
      this.#garbagePreview.push(from[i] as number);
    }
    this.#garbageCount += count;
  }

  #flushGarbage(reason: DiscardReason): void {
    if (this.#garbageCount === 0) return;
    const event: DeframerEvent = {
      kind: "discarded",
      reason,
      count: this.#garbageCount,
      preview: Uint8Array.from(this.#garbagePreview),
    };
    this.stats.discardedBytes += this.#garbageCount;
    this.#garbageCount = 0;
    this.#garbagePreview = [];
    this.#onEvent(event);
  }

  /** Byte at `offset` from the start of the buffered data; offset < buffered. */
  #peek(offset: number): number {
    let rest = offset;
    for (const chunk of this.#chunks) {
      if (rest < chunk.length) return chunk[rest] as number;
      rest -= chunk.length;
    }
    return 0;
  }

  /** The first `length` buffered bytes as one array: a view when they lie in one chunk, else one copy. */
  #contiguous(length: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array;
    if (first.length >= length) return first.subarray(0, length);
    return this.#peekRange(length);
  }

  #peekRange(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let filled = 0;
    for (const chunk of this.#chunks) {
      const take = Math.min(chunk.length, length - filled);
      out.set(take === chunk.length ? chunk : chunk.subarray(0, take), filled);
      filled += take;
      if (filled === length) break;
    }
    return out;
  }

  #consume(count: number): void {
    this.#buffered -= count;
    let rest = count;
    while (rest > 0) {
      const first = this.#chunks[0] as Uint8Array;
      if (first.length > rest) {
        this.#chunks[0] = first.subarray(rest);
        return;
      }
      rest -= first.length;
      this.#chunks.shift();
    }
  }
}
