/**
 * One connection between a host and the emulated receiver (a memory pair, a TCP socket, or the pty):
 *
 *   bytes ──► Deframer(64) ──► request queue ──► handleRequest ──► latency ──► faults ──► write(s)
 *                  │ bad CRC / bad length / timeout
 *                  └──► one error reply per burst (§7.2 policy)
 *
 * Requests are answered one at a time, in order (§2.1: replies are matched to requests by order).
 * Nothing from the wire can make this throw: every handler is guarded, and an internal failure while
 * answering becomes a RECEIVER_ERROR reply.
 */
import type { SharebridgeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { Deframer, type DeframerEvent } from "../../receiver/deframer.js";
import type { TransportSink } from "../../receiver/transport.js";
import { encodePacket, MAX_REQUEST_LENGTH } from "../../wire/packet.js";
import { RESPONSE_CODE } from "../../wire/response-codes.js";
import { type HandlerContext, handleRequest } from "./command-handler.js";
import type { ErrorPolicy } from "./error-policy.js";
import type { FaultDecision, FaultInjector } from "./faults.js";
import { replyDelayMs } from "./latency.js";
import type { Prng } from "./prng.js";
import type { EmulatorStats } from "./stats.js";

/** The device side of a connection, as a session needs it. */
export interface DeviceLink {
  readonly description: string;
  write(bytes: Uint8Array): Promise<void>;
  /** Vanish abruptly: the host sees the device disconnect. */
  unplug(): void;
  /** Close quietly (emulator shutdown). */
  close(): Promise<void>;
}

export interface SessionDeps {
  /** Read per request, so that a receiver swap or policy change applies at once. */
  readonly context: () => HandlerContext;
  readonly policy: () => ErrorPolicy;
  readonly faults: FaultInjector;
  /** Present when the latency model is on. */
  readonly latency: Prng | undefined;
  readonly stats: EmulatorStats;
  readonly log: Logger;
  readonly onClosed: (session: EmulatorSession) => void;
}

type WorkItem =
  | { readonly kind: "request"; readonly code: number; readonly payload: Uint8Array }
  | { readonly kind: "framing"; readonly code: number };

/** Requests waiting beyond this are dropped (a host flooding the port; real hosts keep one in flight). */
const MAX_QUEUE = 32;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class EmulatorSession implements TransportSink {
  readonly #link: DeviceLink;
  readonly #deps: SessionDeps;
  readonly #deframer: Deframer;
  readonly #queue: WorkItem[] = [];
  #running = false;
  #closed = false;
  #incompleteTimer: NodeJS.Timeout | undefined;
  /** Per push: framing errors seen, and whether a request was found after them. */
  #framingError: number | undefined;
  #packetInPush = false;

  constructor(link: DeviceLink, deps: SessionDeps) {
    this.#link = link;
    this.#deps = deps;
    this.#deframer = new Deframer(MAX_REQUEST_LENGTH, (event) => this.#onFrame(event));
    deps.stats.connections++;
  }

  get description(): string {
    return this.#link.description;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** TransportSink: bytes from the host. Never throws. */
  data(chunk: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#framingError = undefined;
      this.#packetInPush = false;
      this.#deframer.push(chunk);
      if (this.#framingError !== undefined && !this.#packetInPush) {
        // One reply per damaged request, not one per false start inside it (§7.2: "after
        // discarding"); what is left of the damaged packet is dropped with it.
        this.#deframer.reset();
        this.#enqueue({ kind: "framing", code: this.#framingError });
      }
      this.#armIncompleteTimer();
    } catch (error) {
      this.#deps.log.error({ err: error }, "emulator failed to process incoming bytes");
    }
  }

  /** TransportSink: the connection ended. */
  closed(error?: SharebridgeError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    if (this.#incompleteTimer !== undefined) clearTimeout(this.#incompleteTimer);
    this.#deps.log.debug(
      { device: this.#link.description, reason: error?.code },
      "emulator connection closed",
    );
    this.#deps.onClosed(this);
  }

  /** Simulated hot-unplug of this connection. */
  unplug(): void {
    if (this.#closed) return;
    this.#link.unplug();
    this.closed();
  }

  async close(): Promise<void> {
    if (!this.#closed) this.closed();
    await this.#link.close().catch(() => undefined);
  }

  #onFrame(event: DeframerEvent): void {
    const { stats } = this.#deps;
    if (event.kind === "packet") {
      this.#packetInPush = true;
      // The payload is a view into the deframer's window: copy it before going asynchronous.
      this.#enqueue({ kind: "request", code: event.packet.code, payload: event.packet.payload.slice() });
      return;
    }
    if (event.reason === "reset") return;
    const policy = this.#deps.policy();
    // One event per run of discarded bytes: the false starts in it were damaged requests.
    stats.framing.garbageBytes += event.count - event.falseStarts;
    switch (event.reason) {
      case "bad-crc":
        stats.framing.badCrc++;
        this.#framingError ??= policy.badCrc === "nak" ? RESPONSE_CODE.NAK : -1;
        return;
      case "bad-length":
        stats.framing.badLength++;
        this.#framingError ??= policy.badLength === "nak" ? RESPONSE_CODE.NAK : -1;
        return;
      default:
        return;
    }
  }

  #armIncompleteTimer(): void {
    if (this.#incompleteTimer !== undefined) clearTimeout(this.#incompleteTimer);
    this.#incompleteTimer = undefined;
    if (this.#deframer.buffered === 0 || this.#closed) return;
    this.#incompleteTimer = setTimeout(() => {
      this.#incompleteTimer = undefined;
      if (this.#closed || this.#deframer.reset() === 0) return;
      this.#deps.stats.framing.incomplete++;
      if (this.#deps.policy().incompletePacket === "incomplete-packet") {
        this.#enqueue({ kind: "framing", code: RESPONSE_CODE.INCOMPLETE_PACKET_RECEIVED });
      }
    }, this.#deps.policy().incompleteTimeoutMs);
    this.#incompleteTimer.unref();
  }

  #enqueue(item: WorkItem): void {
    if (item.kind === "framing" && item.code < 0) return; // policy: stay silent
    if (this.#queue.length >= MAX_QUEUE) {
      this.#deps.log.warn(
        { device: this.#link.description },
        "emulator request queue full, dropping a request",
      );
      return;
    }
    this.#queue.push(item);
    if (!this.#running) void this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      for (let item = this.#queue.shift(); item !== undefined && !this.#closed; item = this.#queue.shift()) {
        await this.#serve(item);
      }
    } catch (error) {
      this.#deps.log.error({ err: error }, "emulator failed to answer");
    } finally {
      this.#running = false;
    }
  }

  async #serve(item: WorkItem): Promise<void> {
    const { stats, log } = this.#deps;
    let code: number;
    let payload: Uint8Array = new Uint8Array(0);
    let pages = 0;
    const commandId = item.kind === "request" ? item.code : -1;
    if (item.kind === "request") {
      stats.requests++;
      stats.requestsByCommand[item.code] = (stats.requestsByCommand[item.code] ?? 0) + 1;
      try {
        const result = handleRequest(this.#deps.context(), { code: item.code, payload: item.payload });
        if (result.kind === "silence") return;
        ({ code, payload, pages } = result);
      } catch (error) {
        log.error({ err: error, commandId: item.code }, "emulator failed to handle a request");
        code = RESPONSE_CODE.RECEIVER_ERROR;
      }
    } else {
      code = item.code;
    }
    if (this.#deps.latency !== undefined) await delay(replyDelayMs(commandId, pages, this.#deps.latency));
    if (this.#closed) return;
    const decision = this.#deps.faults.decide(payload.length + 6);
    await this.#send(code, payload, decision);
  }

  async #send(code: number, payload: Uint8Array, decision: FaultDecision): Promise<void> {
    const { stats, faults } = this.#deps;
    if (decision.replace === "silence") return;
    let replyCode = code;
    let replyPayload: Uint8Array = payload;
    if (decision.replace === "nak") replyCode = RESPONSE_CODE.NAK;
    if (decision.replace === "error") replyCode = RESPONSE_CODE.RECEIVER_ERROR;
    if (decision.replace !== undefined) replyPayload = new Uint8Array(0);
    if (decision.shortPayload) {
      const by = faults.shortBy(replyPayload.length);
      replyPayload = by === 0 ? Uint8Array.of(0) : replyPayload.subarray(0, replyPayload.length - by);
    }
    const packet = encodePacket(replyCode, replyPayload);
    if (decision.corruptCrc)
      packet[packet.length - 1] = (packet[packet.length - 1] as number) ^ faults.crcFlip();
    stats.replies++;
    stats.repliesByCode[replyCode] = (stats.repliesByCode[replyCode] ?? 0) + 1;
    try {
      if (decision.unplugAfterBytes !== undefined) {
        // Hot-unplug mid-transfer: part of the reply reaches the host, then the device is gone.
        if (decision.unplugAfterBytes > 0)
          await this.#link.write(packet.subarray(0, decision.unplugAfterBytes));
        await nextTurn();
        this.#deps.log.info({ device: this.#link.description }, "emulator: unplugged mid-transfer (fault)");
        this.unplug();
        return;
      }
      const bytes = decision.garbage === undefined ? packet : concat(decision.garbage, packet);
      if (decision.pieces <= 1) {
        await this.#link.write(bytes);
        return;
      }
      for (const piece of splitAt(bytes, decision.pieces)) {
        await this.#link.write(piece);
        await delay(faults.gapMs());
        if (this.#closed) return;
      }
    } catch (error) {
      this.#deps.log.debug({ err: error, device: this.#link.description }, "emulator write failed");
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Splits `bytes` into `pieces` non-empty parts of near-equal size. */
function splitAt(bytes: Uint8Array, pieces: number): Uint8Array[] {
  const n = Math.max(1, Math.min(pieces, bytes.length));
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    out.push(bytes.subarray(Math.floor((i * bytes.length) / n), Math.floor(((i + 1) * bytes.length) / n)));
  }
  return out;
}
