/**
 * The link: one request in flight over a transport, with timeouts, retries and one reopen
 * (DESIGN.md §3; spec receiver-protocol §2.1 "responses are matched to requests purely by order").
 *
 *   request ─► [reset deframer] ─► write ─► wait for: packet │ bad CRC + quiet │ timeout │ closed
 *                                                  │ ACK → payload
 *                                                  │ NAK / INCOMPLETE_PACKET / RECEIVER_ERROR / bad CRC / timeout → retry
 *                                                  │ INVALID_COMMAND / INVALID_PARAM / INVALID_MODE → RECEIVER_NAK (no retry)
 *                                                  └ closed → reopen
 *   retries exhausted ─► reopen the transport ─► retries again ─► LINK_FAILED
 *
 * Stale bytes: a response is never attributed to a later request. Before each attempt the deframer
 * is reset, and after a corrupted reply the link waits until the line is quiet before resending, so
 * the rest of a damaged reply cannot be taken as the answer to the retry.
 */
import { SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { SENDABLE_COMMAND_IDS } from "../wire/command-ids.js";
import { encodePacket, MAX_RESPONSE_LENGTH, type Packet } from "../wire/packet.js";
import { ACK, RESPONSE_CODE, responseCodeName } from "../wire/response-codes.js";
import { Deframer, type DeframerEvent } from "./deframer.js";
import type { Transport, TransportOpener } from "./transport.js";

export interface LinkOptions {
  /** Time allowed for a complete response, ms. Default 1500: receivers answer in 12–220 ms (spec §1.5). */
  timeoutMs?: number;
  /** Retries of one request before the transport is reopened. Default 2. */
  retries?: number;
  /** Reopens of the transport when retries are exhausted or it disconnected. Default 1. */
  reopens?: number;
  /**
   * Quiet time, ms: after a corrupted reply, how long the line must be silent before the retry; with
   * a partial packet buffered, how long before looking past a false SOF. Default 60.
   */
  quietMs?: number;
  /** Largest packet accepted; default 2118 (a four-page reply, spec §1.6). */
  maxResponseLength?: number;
  log?: Logger;
  /** Host clock in ms, for `sentAtMs`/`receivedAtMs`. */
  now?: () => number;
}

export interface RequestOptions {
  /** Overrides `LinkOptions.retries` for this request. */
  retries?: number;
  /** Overrides `LinkOptions.reopens` for this request. */
  reopens?: number;
}

export interface LinkStats {
  requests: number;
  retries: number;
  reopens: number;
  timeouts: number;
  badCrc: number;
  naks: number;
  disconnects: number;
  discardedBytes: number;
}

export interface LinkResponse {
  /** The ACK payload, copied out of the transport's buffers. */
  readonly payload: Uint8Array;
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
}

/** Response codes worth a retry (spec §2.5): transient by their names; the rest are final. */
const RETRYABLE_RESPONSE_CODES: ReadonlySet<number> = new Set([
  RESPONSE_CODE.NAK,
  RESPONSE_CODE.INCOMPLETE_PACKET_RECEIVED,
  RESPONSE_CODE.RECEIVER_ERROR,
]);

type AttemptOutcome =
  | { kind: "ack"; payload: Uint8Array; receivedAtMs: number }
  | { kind: "retry"; error: SharebridgeError }
  | { kind: "final"; error: SharebridgeError }
  | { kind: "disconnected"; error: SharebridgeError };

export class Link {
  readonly stats: LinkStats = {
    requests: 0,
    retries: 0,
    reopens: 0,
    timeouts: 0,
    badCrc: 0,
    naks: 0,
    disconnects: 0,
    discardedBytes: 0,
  };
  readonly #opener: TransportOpener;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #reopens: number;
  readonly #quietMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #deframer: Deframer;
  #transport: Transport | undefined;
  #closed = false;
  /** Serialises requests: one in flight (spec §2.1). */
  #queue: Promise<unknown> = Promise.resolve();
  /** The waiter of the attempt in progress, fed by the deframer and the transport. */
  #waiter:
    | ((event: DeframerEvent | { kind: "closed"; error: SharebridgeError } | { kind: "data" }) => void)
    | undefined;

  private constructor(opener: TransportOpener, options: LinkOptions) {
    this.#opener = opener;
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 1500);
    this.#retries = nonNegative("retries", options.retries ?? 2);
    this.#reopens = nonNegative("reopens", options.reopens ?? 1);
    this.#quietMs = positive("quietMs", options.quietMs ?? 60);
    this.#log = (options.log ?? silentLogger).child({ component: "link" });
    this.#now = options.now ?? Date.now;
    this.#deframer = new Deframer(options.maxResponseLength ?? MAX_RESPONSE_LENGTH, (event) => {
      if (event.kind === "discarded") {
        this.stats.discardedBytes += event.count;
        if (event.reason !== "reset") {
          this.#log.debug({ reason: event.reason, count: event.count }, "discarded bytes");
        }
      }
      this.#waiter?.(event);
    });
  }

  /** Opens the transport and returns the link; DEVICE_* errors from the opener pass through. */
  static async open(opener: TransportOpener, options: LinkOptions = {}): Promise<Link> {
    const link = new Link(opener, options);
    await link.#openTransport();
    return link;
  }

  get description(): string {
    return this.#transport?.description ?? "(closed)";
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one command and resolves with its ACK payload. Requests are queued, never interleaved.
   * Throws RECEIVER_NAK (final response codes), DEVICE_DISCONNECTED (the device went away and could not
   * be reopened), LINK_FAILED (retries and reopens exhausted), LINK_CLOSED, REQUEST_INVALID.
   */
  request(commandId: number, payload: Uint8Array, options: RequestOptions = {}): Promise<LinkResponse> {
    // The second guard behind the codec table (commands.ts): nothing else reaches the wire.
    if (!SENDABLE_COMMAND_IDS.has(commandId)) {
      return Promise.reject(
        new SharebridgeError("REQUEST_INVALID", "command id is not one the driver may send", { commandId }),
      );
    }
    const run = this.#queue.then(() => this.#requestNow(commandId, payload, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const transport = this.#transport;
    this.#transport = undefined;
    this.#waiter?.({ kind: "closed", error: closedError() });
    await transport?.close();
  }

  async #openTransport(): Promise<void> {
    this.#deframer.reset();
    const transport = await this.#opener({
      data: (chunk) => {
        if (this.#transport !== transport && this.#transport !== undefined) return;
        this.#deframer.push(chunk);
        this.#waiter?.({ kind: "data" });
      },
      closed: (error) => {
        if (this.#transport === transport) this.#transport = undefined;
        this.#waiter?.({
          kind: "closed",
          error:
            error ??
            new SharebridgeError("DEVICE_DISCONNECTED", "transport closed", {
              device: transport.description,
            }),
        });
      },
    });
    if (this.#closed) {
      await transport.close();
      throw closedError();
    }
    this.#transport = transport;
  }

  async #requestNow(commandId: number, payload: Uint8Array, options: RequestOptions): Promise<LinkResponse> {
    if (this.#closed) throw closedError();
    const packet = encodePacket(commandId, payload);
    const retries = options.retries ?? this.#retries;
    let reopensLeft = options.reopens ?? this.#reopens;
    let lastError: SharebridgeError | undefined;
    this.stats.requests++;

    for (;;) {
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (this.#closed) throw closedError();
        if (this.#transport === undefined) {
          lastError ??= new SharebridgeError("DEVICE_DISCONNECTED", "the receiver port is not open", {});
          break;
        }
        if (attempt > 0) this.stats.retries++;
        const sentAtMs = this.#now();
        const outcome = await this.#attempt(this.#transport, packet);
        if (outcome.kind === "ack")
          return { payload: outcome.payload, sentAtMs, receivedAtMs: outcome.receivedAtMs };
        if (outcome.kind === "final") throw outcome.error;
        lastError = outcome.error;
        this.#log.debug({ commandId, attempt, code: outcome.error.code }, "attempt failed");
        if (outcome.kind === "disconnected") break;
      }
      if (this.#closed) throw closedError();
      if (reopensLeft <= 0) break;
      reopensLeft--;
      this.stats.reopens++;
      this.#log.warn({ commandId, lastError: lastError?.code }, "reopening the receiver port");
      try {
        await this.#transport?.close();
        this.#transport = undefined;
        await this.#openTransport();
      } catch (error) {
        throw error instanceof SharebridgeError
          ? error
          : new SharebridgeError(
              "DEVICE_OPEN_FAILED",
              "could not reopen the receiver port",
              {},
              { cause: error },
            );
      }
    }
    if (lastError?.code === "DEVICE_DISCONNECTED") throw lastError;
    throw new SharebridgeError(
      "LINK_FAILED",
      "the receiver did not answer correctly after retries and a reopen",
      { commandId, lastError: lastError?.code, retries, device: this.description },
      { cause: lastError },
    );
  }

  /** One write and the wait for its outcome. Never rejects. */
  async #attempt(transport: Transport, packet: Uint8Array): Promise<AttemptOutcome> {
    this.#deframer.reset();
    return new Promise<AttemptOutcome>((resolve) => {
      let corrupted: SharebridgeError | undefined;
      let quietTimer: NodeJS.Timeout | undefined;
      const finish = (outcome: AttemptOutcome) => {
        clearTimeout(deadline);
        clearTimeout(quietTimer);
        this.#waiter = undefined;
        resolve(outcome);
      };
      // Re-armed on every arrival: fires once the line has been silent for quietMs.
      const armQuiet = () => {
        clearTimeout(quietTimer);
        quietTimer = setTimeout(() => {
          if (this.#deframer.buffered > 0 && this.#deframer.idle()) return;
          if (corrupted !== undefined) finish({ kind: "retry", error: corrupted });
        }, this.#quietMs);
      };
      const deadline = setTimeout(() => {
        if (corrupted !== undefined) return finish({ kind: "retry", error: corrupted });
        this.stats.timeouts++;
        finish({
          kind: "retry",
          error: new SharebridgeError("RESPONSE_TIMEOUT", "no complete response in time", {
            timeoutMs: this.#timeoutMs,
            commandId: packet[3],
          }),
        });
      }, this.#timeoutMs);

      this.#waiter = (event) => {
        switch (event.kind) {
          case "data":
            armQuiet();
            return;
          case "closed":
            this.stats.disconnects++;
            return finish({ kind: "disconnected", error: event.error });
          case "discarded":
            if (event.reason === "bad-crc" && corrupted === undefined) {
              this.stats.badCrc++;
              corrupted = new SharebridgeError("PACKET_BAD_CRC", "reply failed its CRC", {
                commandId: packet[3],
              });
            }
            return;
          case "packet":
            return finish(this.#classify(event.packet, packet[3] as number));
        }
      };

      transport.write(packet).catch((error: unknown) => {
        if (this.#waiter === undefined) return;
        finish({
          kind: "disconnected",
          error:
            error instanceof SharebridgeError
              ? error
              : new SharebridgeError(
                  "DEVICE_DISCONNECTED",
                  "write failed",
                  { device: transport.description },
                  {
                    cause: error,
                  },
                ),
        });
      });
    });
  }

  #classify(packet: Packet, commandId: number): AttemptOutcome {
    if (packet.code === ACK) {
      return { kind: "ack", payload: packet.payload.slice(), receivedAtMs: this.#now() };
    }
    const error = new SharebridgeError("RECEIVER_NAK", `receiver answered ${responseCodeName(packet.code)}`, {
      commandId,
      responseCode: packet.code,
      responseName: responseCodeName(packet.code),
    });
    if (RETRYABLE_RESPONSE_CODES.has(packet.code)) {
      this.stats.naks++;
      return { kind: "retry", error };
    }
    return { kind: "final", error };
  }
}

function closedError(): SharebridgeError {
  return new SharebridgeError("LINK_CLOSED", "the receiver link is closed");
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}
