/**
 * Streaming deframer: bytes in any chunking → whole packets (spec receiver-protocol §2.1, §2.6).
 *
 *   chunks ──► [window: bytes + running CRC per byte] ──► find SOF ──► bound length ──► wait ──► CRC ──► packet
 *                                                          │              │                      │
 *                                                          └── discarded (no-sof / bad-length / bad-crc)
 *
 * Rules:
 * - Bytes before a 0x01 are garbage (§2.6 step 1); they are reported, never thrown.
 * - The length field is checked against [6, maxLength] before anything waits for it.
 * - A candidate whose CRC fails gives up only its SOF byte: scanning resumes at the next byte, so a
 *   real packet hidden behind a false SOF in garbage is still found. (TP drops the whole candidate,
 *   which loses the real packet in that case.)
 * - Bounded work per byte, whatever arrives. Every byte is copied into a fixed window once and its
 *   running CRC stored beside it; a candidate's CRC is then one multiplication of two stored values
 *   (src/wire/crc16.ts `crcOfStretch`), not a pass over up to 2118 bytes. A flood of false starts
 *   announcing the longest packet (`01 46 08` repeated) costs what plain bytes cost, where a fresh
 *   CRC per candidate cost ~700 byte-steps per byte.
 * - Discards between two packets are reported as one event per push (count, the strongest reason,
 *   how many false starts), so a flood cannot turn into one event per byte.
 * - A false SOF in garbage can announce a length that the real bytes never fill. Nothing in the
 *   stream can tell that apart from a slow packet, so the owner calls `idle()` when the line has
 *   been quiet: it looks for a complete, CRC-valid packet starting at a later SOF in the buffered
 *   bytes and, only if one exists, drops what precedes it (reason `stalled`).
 * - Memory is fixed at construction: a window of 2 × maxLength + 4 KiB bytes and their running CRCs.
 * - A packet's payload is a view into the window, valid during the callback only: a caller that
 *   keeps it copies it there (the link and the emulator do).
 */
import { SharebridgeError } from "../errors.js";
import { crc16Step, crcOfStretch, stretchFactors } from "../wire/crc16.js";
import {
  lengthField,
  MAX_PACKET_LENGTH,
  MIN_PACKET_LENGTH,
  PACKET_CRC_LENGTH,
  type Packet,
  packetAt,
  SOF,
  storedCrc,
} from "../wire/packet.js";

export type DiscardReason = "no-sof" | "bad-length" | "bad-crc" | "stalled" | "reset";

export type DeframerEvent =
  | { readonly kind: "packet"; readonly packet: Packet }
  | {
      readonly kind: "discarded";
      /**
       * Why: `bad-crc` when a false start in the run failed its CRC, else `bad-length` when one
       * announced an impossible length, else `no-sof`; `stalled` (idle) and `reset` are their own runs.
       */
      readonly reason: DiscardReason;
      readonly count: number;
      /** SOF bytes in the run that started no packet (bad length or bad CRC). */
      readonly falseStarts: number;
      /** Up to the first 16 discarded bytes, for logs and bug reports. */
      readonly preview: Uint8Array;
    };

export interface DeframerStats {
  packets: number;
  discardedBytes: number;
  badCrc: number;
  badLength: number;
  /**
   * Units of work done: bytes hashed or moved, bytes scanned for a SOF, candidates checked. Bounded
   * by a small constant times the bytes pushed, whatever they are (the property tests check it).
   */
  work: number;
}

const PREVIEW_LENGTH = 16;
/** Room in the window beyond two packets, so that compaction is rare for any chunking. */
const SLACK = 4096;
/** Discard reasons by strength: a run reports the strongest reason seen in it. */
const REASONS: readonly DiscardReason[] = ["no-sof", "bad-length", "bad-crc", "stalled", "reset"];
const NO_SOF = 0;
const BAD_LENGTH = 1;
const BAD_CRC = 2;
const STALLED = 3;
const RESET = 4;

export class Deframer {
  readonly stats: DeframerStats = { packets: 0, discardedBytes: 0, badCrc: 0, badLength: 0, work: 0 };
  readonly #maxLength: number;
  readonly #onEvent: (event: DeframerEvent) => void;
  /** factors[n] = x^(8n) mod P, for CRC stretches up to a whole packet. */
  readonly #factors: Uint16Array;
  /** The window; bytes [#start, #end) are buffered. */
  readonly #bytes: Uint8Array;
  /** #running[i] = CRC of #bytes[0, i): running from the window's origin. */
  readonly #running: Uint16Array;
  #start = 0;
  #end = 0;
  /**
   * The discard run, reported as one event when a packet starts, a push ends, or on idle/reset.
   * Discarded bytes in the window are contiguous: [#runFrom, #start) while a run is open there;
   * what earlier windows held is already counted in #runCount (and its first bytes in #preview).
   */
  #runFrom = -1;
  #runCount = 0;
  #runRank = NO_SOF;
  #falseStarts = 0;
  readonly #preview = new Uint8Array(PREVIEW_LENGTH);
  #previewLength = 0;

  /**
   * @param maxLength largest packet accepted, in bytes (6–65535). Longer length fields are garbage.
   * @param onEvent called synchronously, in stream order, from `push`, `idle` and `reset`.
   */
  constructor(maxLength: number, onEvent: (event: DeframerEvent) => void) {
    if (!Number.isInteger(maxLength) || maxLength < MIN_PACKET_LENGTH || maxLength > MAX_PACKET_LENGTH) {
      throw new SharebridgeError(
        "CONFIG_INVALID",
        `maxLength must be an integer in [6, 65535], got ${maxLength}`,
        { option: "maxLength", value: maxLength },
      );
    }
    this.#maxLength = maxLength;
    this.#onEvent = onEvent;
    this.#factors = stretchFactors(maxLength + 1);
    this.#bytes = new Uint8Array(2 * maxLength + SLACK);
    this.#running = new Uint16Array(this.#bytes.length + 1);
  }

  /** Bytes held while waiting for the rest of a packet (always fewer than maxLength after a push). */
  get buffered(): number {
    return this.#end - this.#start;
  }

  push(chunk: Uint8Array): void {
    const bytes = this.#bytes;
    const running = this.#running;
    for (let offset = 0; offset < chunk.length; ) {
      if (this.#end === bytes.length) this.#compact();
      const take = Math.min(bytes.length - this.#end, chunk.length - offset);
      const from = this.#end;
      bytes.set(take === chunk.length ? chunk : chunk.subarray(offset, offset + take), from);
      let register = running[from] as number;
      for (let i = from; i < from + take; i++) {
        register = crc16Step(register, bytes[i] as number);
        running[i + 1] = register;
      }
      this.#end = from + take;
      this.stats.work += take;
      offset += take;
      this.#drain();
    }
    this.#flushRun();
  }

  /** Drops everything buffered (reported as `reset`), e.g. before a new request. Returns the count. */
  reset(): number {
    this.#flushRun();
    const count = this.#end - this.#start;
    if (count > 0) {
      this.#runFrom = this.#start;
      this.#start = this.#end;
      this.#runRank = RESET;
      this.#flushRun();
    }
    this.#start = 0;
    this.#end = 0;
    return count;
  }

  /**
   * The line went quiet with a partial packet buffered: if a complete, valid packet starts at a later
   * SOF, drop the bytes before it and deliver it (and what follows). Returns whether it did. Never
   * drops anything otherwise, so calling it while a real packet is still arriving is harmless.
   */
  idle(): boolean {
    const bytes = this.#bytes;
    for (let at = this.#nextSof(this.#start + 1); at < this.#end; at = this.#nextSof(at + 1)) {
      if (this.#end - at < MIN_PACKET_LENGTH) return false;
      const length = lengthField(bytes, at);
      this.stats.work++;
      if (length < MIN_PACKET_LENGTH || length > this.#maxLength || at + length > this.#end) continue;
      if (!this.#crcHolds(at, length)) continue;
      this.#flushRun();
      this.#runFrom = this.#start;
      this.#start = at;
      this.#runRank = STALLED;
      this.#flushRun();
      this.#drain();
      this.#flushRun();
      return true;
    }
    return false;
  }

  /**
   * Delivers every packet the window holds, from #start. The hot path: locals for the counters,
   * fields written back before any callback (a callback may reset() the deframer).
   */
  #drain(): void {
    const bytes = this.#bytes;
    const max = this.#maxLength;
    const end = this.#end;
    let start = this.#start;
    let work = 0;
    let badLength = 0;
    let badCrc = 0;
    while (start < end) {
      if (bytes[start] !== SOF) {
        if (this.#runFrom < 0) this.#runFrom = start;
        const sof = this.#nextSof(start);
        start = sof;
        continue;
      }
      if (end - start < 3) break;
      const length = (bytes[start + 1] as number) | ((bytes[start + 2] as number) << 8);
      work++;
      if (length < MIN_PACKET_LENGTH || length > max) {
        badLength++;
        if (this.#runFrom < 0) this.#runFrom = start;
        start++;
        continue;
      }
      if (end - start < length) break;
      if (!this.#crcHolds(start, length)) {
        badCrc++;
        if (this.#runFrom < 0) this.#runFrom = start;
        start++;
        continue;
      }
      this.#start = start;
      this.#account(work, badLength, badCrc);
      work = badLength = badCrc = 0;
      this.#flushRun();
      this.#start = start + length;
      this.stats.packets++;
      this.#onEvent({ kind: "packet", packet: packetAt(bytes, start, length) });
      if (this.#end !== end) return; // reset by the callback
      start = this.#start;
    }
    this.#start = start;
    this.#account(work, badLength, badCrc);
  }

  #account(work: number, badLength: number, badCrc: number): void {
    this.stats.work += work;
    this.stats.badLength += badLength;
    this.stats.badCrc += badCrc;
    this.#falseStarts += badLength + badCrc;
    const rank = badCrc > 0 ? BAD_CRC : badLength > 0 ? BAD_LENGTH : NO_SOF;
    if (rank > this.#runRank) this.#runRank = rank;
  }

  /** First SOF at or after `from` in the buffered bytes, or #end when there is none. */
  #nextSof(from: number): number {
    const bytes = this.#bytes;
    const end = this.#end;
    let at = from;
    while (at < end && bytes[at] !== SOF) at++;
    this.stats.work += at - from + 1;
    return at;
  }

  #crcHolds(start: number, length: number): boolean {
    const crcAt = start + length - PACKET_CRC_LENGTH;
    const computed = crcOfStretch(
      this.#running[start] as number,
      this.#running[crcAt] as number,
      this.#factors[length - PACKET_CRC_LENGTH] as number,
    );
    return computed === storedCrc(this.#bytes, start, length);
  }

  /** Counts the open run's bytes in this window (and keeps its first ones for the preview). */
  #closeWindowRun(): void {
    const from = this.#runFrom;
    if (from < 0) return;
    const bytes = this.#bytes;
    for (let i = from; i < this.#start && this.#previewLength < PREVIEW_LENGTH; i++) {
      this.#preview[this.#previewLength++] = bytes[i] as number;
    }
    this.#runCount += this.#start - from;
    this.#runFrom = -1;
  }

  #flushRun(): void {
    this.#closeWindowRun();
    if (this.#runCount === 0) return;
    const event: DeframerEvent = {
      kind: "discarded",
      reason: REASONS[this.#runRank] as DiscardReason,
      count: this.#runCount,
      falseStarts: this.#falseStarts,
      preview: this.#preview.slice(0, this.#previewLength),
    };
    this.stats.discardedBytes += this.#runCount;
    this.#runCount = 0;
    this.#runRank = NO_SOF;
    this.#falseStarts = 0;
    this.#previewLength = 0;
    this.#onEvent(event);
  }

  /** Moves the buffered bytes to the window's origin and recomputes their running CRCs. */
  #compact(): void {
    this.#closeWindowRun();
    const bytes = this.#bytes;
    const running = this.#running;
    const length = this.#end - this.#start;
    bytes.copyWithin(0, this.#start, this.#end);
    let register = 0;
    running[0] = 0;
    for (let i = 0; i < length; i++) {
      register = crc16Step(register, bytes[i] as number);
      running[i + 1] = register;
    }
    this.#start = 0;
    this.#end = length;
    this.stats.work += length;
  }
}
