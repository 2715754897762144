/**
 * The link: one request in flight over a transport, with timeouts, retries and one reopen
 * (DESIGN.md §3; spec receiver-protocol §2.1 "responses are matched to requests purely by order").
 *
 *   request ─► [reset deframer] ─► write ─► wait for: packet │ bad CRC + quiet │ timeout │ closed │ abort
 *                                                  │ ACK → payload
 *                                                  │ NAK / INCOMPLETE_PACKET / RECEIVER_ERROR / bad CRC / timeout → retry
 *                                                  │ INVALID_COMMAND / INVALID_PARAM / INVALID_MODE → RECEIVER_NAK (no retry)
 *                                                  │ closed → reopen
 *                                                  └ abort → ABORTED, at once
 *   retries exhausted ─► reopen the transport ─► retries again ─► LINK_FAILED
 *
 * Stale bytes: a response is never attributed to a later request. Before each attempt the deframer
 * is reset, and after a corrupted reply the link waits until the line is quiet before resending, so
 * the rest of a damaged reply cannot be taken as the answer to the retry. After a timeout or an abort
 * the answer may still be on its way: the next attempt first waits briefly for the line to go quiet.
 *
 * Time comes from the injected `Clock` and `Timers` (src/clock.ts): tests drive the link with fake
 * time and no real sleeps.
 */
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from "../clock.js";
import { SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { SENDABLE_COMMAND_IDS } from "../wire/command-ids.js";
import { encodePacket, MAX_RESPONSE_LENGTH, type Packet } from "../wire/packet.js";
import { ACK, RESPONSE_CODE, responseCodeName } from "../wire/response-codes.js";
import { Deframer, type DeframerEvent } from "./deframer.js";
import type { Transport, TransportOpener } from "./transport.js";
import { WireLog, type WireLogOptions } from "./wire-log.js";

export interface LinkOptions {
  /** Time allowed for a complete response, ms. Default 1500: receivers answer in 12–220 ms (spec §1.5). */
  timeoutMs?: number | undefined;
  /** Retries of one request before the transport is reopened. Default 2. */
  retries?: number | undefined;
  /** Reopens of the transport when retries are exhausted or it disconnected. Default 1. */
  reopens?: number | undefined;
  /**
   * Quiet time, ms: after a corrupted reply, how long the line must be silent before the retry; with
   * a partial packet buffered, how long before looking past a false SOF. Default 60.
   */
  quietMs?: number | undefined;
  /** Largest packet accepted; default 2118 (a four-page reply, spec §1.6). */
  maxResponseLength?: number | undefined;
  log?: Logger | undefined;
  /** Host clock, for `sentAtMs`/`receivedAtMs`. Default: the system clock. */
  clock?: Clock | undefined;
  /** Timers for timeouts and quiet periods. Default: Node's. */
  timers?: Timers | undefined;
  /** When it aborts, the request in flight and every later one end with ABORTED. */
  signal?: AbortSignal | undefined;
  /** Rate limits of the discarded-bytes (debug) and frame (trace) logs. */
  wireLog?: WireLogOptions | undefined;
}

export interface RequestOptions {
  /** Overrides `LinkOptions.retries` for this request. */
  retries?: number | undefined;
  /** Overrides `LinkOptions.reopens` for this request. */
  reopens?: number | undefined;
  /** Ends this request with ABORTED when it aborts (besides the link's own signal). */
  signal?: AbortSignal | undefined;
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

type WaiterEvent = DeframerEvent | { kind: "closed"; error: SharebridgeError } | { kind: "data" };

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
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #signal: AbortSignal | undefined;
  readonly #deframer: Deframer;
  readonly #wireLog: WireLog;
  #transport: Transport | undefined;
  #closed = false;
  /** An attempt was abandoned before its answer came: wait for quiet before the next one. */
  #answerMayFollow = false;
  /** Serialises requests: one in flight (spec §2.1). */
  #queue: Promise<unknown> = Promise.resolve();
  /** The waiter of the attempt in progress, fed by the deframer and the transport. */
  #waiter: ((event: WaiterEvent) => void) | undefined;

  private constructor(opener: TransportOpener, options: LinkOptions) {
    this.#opener = opener;
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 1500);
    this.#retries = nonNegative("retries", options.retries ?? 2);
    this.#reopens = nonNegative("reopens", options.reopens ?? 1);
    this.#quietMs = positive("quietMs", options.quietMs ?? 60);
    this.#log = (options.log ?? silentLogger).child({ component: "link" });
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#signal = options.signal;
    this.#wireLog = new WireLog(this.#log, this.#clock, options.wireLog);
    this.#deframer = new Deframer(options.maxResponseLength ?? MAX_RESPONSE_LENGTH, (event) => {
      if (event.kind === "discarded") {
        this.stats.discardedBytes += event.count;
        this.#wireLog.discarded(event);
      } else {
        this.#wireLog.frame("rx", event.packet);
      }
      this.#waiter?.(event);
    });
  }

  /** Opens the transport and returns the link; DEVICE_* errors from the opener pass through. */
  static async open(opener: TransportOpener, options: LinkOptions = {}): Promise<Link> {
    const link = new Link(opener, options);
    await link.#openTransport(options.signal);
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
   * be reopened), LINK_FAILED (retries and reopens exhausted), LINK_CLOSED, REQUEST_INVALID, ABORTED.
   */
  request(commandId: number, payload: Uint8Array, options: RequestOptions = {}): Promise<LinkResponse> {
    // The second guard behind the codec table (commands.ts): nothing else reaches the wire.
    if (!SENDABLE_COMMAND_IDS.has(commandId)) {
      return Promise.reject(
        new SharebridgeError("REQUEST_INVALID", "command id is not one the driver may send", { commandId }),
      );
    }
    const signal = combine(this.#signal, options.signal);
    const run = this.#queue.then(() => this.#requestNow(commandId, payload, options, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const transport = this.#transport;
    this.#transport = undefined;
    this.#waiter?.({ kind: "closed", error: closedError() });
    this.#wireLog.flush();
    await transport?.close();
  }

  /** Opens the transport; with `signal`, an abort ends the wait with ABORTED (and closes what opens late). */
  async #openTransport(signal: AbortSignal | undefined): Promise<void> {
    this.#deframer.reset();
    let transport: Transport | undefined;
    const opening = this.#opener({
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
              device: transport?.description,
            }),
        });
      },
    });
    try {
      transport = await untilAborted(opening, signal);
    } catch (error) {
      if (isAbort(error)) void opening.then((late) => late.close()).catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await transport.close();
      throw closedError();
    }
    this.#transport = transport;
  }

  async #requestNow(
    commandId: number,
    payload: Uint8Array,
    options: RequestOptions,
    signal: AbortSignal | undefined,
  ): Promise<LinkResponse> {
    if (this.#closed) throw closedOrAborted(signal);
    throwIfAborted(signal);
    const packet = encodePacket(commandId, payload);
    const retries = options.retries ?? this.#retries;
    let reopensLeft = options.reopens ?? this.#reopens;
    let lastError: SharebridgeError | undefined;
    this.stats.requests++;

    for (;;) {
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (this.#closed) throw closedOrAborted(signal);
        if (this.#transport === undefined) {
          lastError ??= new SharebridgeError("DEVICE_DISCONNECTED", "the receiver port is not open", {});
          break;
        }
        if (attempt > 0) this.stats.retries++;
        if (this.#answerMayFollow) await this.#waitForQuiet(signal);
        throwIfAborted(signal);
        const sentAtMs = this.#clock.now();
        const outcome = await this.#attempt(this.#transport, packet, signal);
        if (outcome.kind === "ack")
          return { payload: outcome.payload, sentAtMs, receivedAtMs: outcome.receivedAtMs };
        if (outcome.kind === "final") throw outcome.error;
        lastError = outcome.error;
        this.#log.debug({ commandId, attempt, code: outcome.error.code }, "attempt failed");
        if (outcome.kind === "disconnected") break;
      }
      if (this.#closed) throw closedOrAborted(signal);
      if (reopensLeft <= 0) break;
      reopensLeft--;
      this.stats.reopens++;
      this.#log.warn({ commandId, lastError: lastError?.code }, "reopening the receiver port");
      try {
        await this.#transport?.close();
        this.#transport = undefined;
        // A late answer cannot come over the new connection.
        this.#answerMayFollow = false;
        await this.#openTransport(signal);
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
  async #attempt(
    transport: Transport,
    packet: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<AttemptOutcome> {
    this.#deframer.reset();
    const timers = this.#timers;
    return new Promise<AttemptOutcome>((resolve) => {
      let corrupted: SharebridgeError | undefined;
      let quietTimer: TimerHandle | undefined;
      const finish = (outcome: AttemptOutcome) => {
        timers.clearTimeout(deadline);
        if (quietTimer !== undefined) timers.clearTimeout(quietTimer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiter = undefined;
        resolve(outcome);
      };
      const onAbort = () => {
        this.#answerMayFollow = true;
        finish({ kind: "final", error: abortedError() });
      };
      // Re-armed on every arrival: fires once the line has been silent for quietMs.
      const armQuiet = () => {
        if (quietTimer !== undefined) timers.clearTimeout(quietTimer);
        quietTimer = timers.setTimeout(() => {
          quietTimer = undefined;
          if (this.#deframer.buffered > 0 && this.#deframer.idle()) return;
          if (corrupted !== undefined) finish({ kind: "retry", error: corrupted });
        }, this.#quietMs);
      };
      const deadline = timers.setTimeout(() => {
        if (corrupted !== undefined) return finish({ kind: "retry", error: corrupted });
        this.stats.timeouts++;
        this.#answerMayFollow = true;
        finish({
          kind: "retry",
          error: new SharebridgeError("RESPONSE_TIMEOUT", "no complete response in time", {
            timeoutMs: this.#timeoutMs,
            commandId: packet[3],
          }),
        });
      }, this.#timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });

      this.#waiter = (event) => {
        switch (event.kind) {
          case "data":
            armQuiet();
            return;
          case "closed":
            // Closed because the command is being cancelled: that is the cancellation, not a fault.
            if (signal?.aborted === true) return finish({ kind: "final", error: abortedError() });
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

      this.#wireLog.frame("tx", packet);
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
                  { cause: error },
                ),
        });
      });
    });
  }

  /**
   * After an abandoned attempt: resolves once the line has been quiet for quietMs (a late answer has
   * arrived and is dropped), after 4 × quietMs (at most timeoutMs) of a line that never goes quiet,
   * or at once on abort.
   */
  #waitForQuiet(signal: AbortSignal | undefined): Promise<void> {
    this.#answerMayFollow = false;
    const timers = this.#timers;
    return new Promise<void>((resolve) => {
      let quiet: TimerHandle = timers.setTimeout(done, this.#quietMs);
      const limit = timers.setTimeout(done, Math.min(this.#timeoutMs, 4 * this.#quietMs));
      this.#waiter = (event) => {
        if (event.kind === "data") {
          timers.clearTimeout(quiet);
          quiet = timers.setTimeout(done, this.#quietMs);
        } else if (event.kind === "closed") done();
      };
      signal?.addEventListener("abort", done, { once: true });
      function done() {
        timers.clearTimeout(quiet);
        timers.clearTimeout(limit);
        signal?.removeEventListener("abort", done);
        resolve();
      }
    }).finally(() => {
      this.#waiter = undefined;
      this.#deframer.reset();
    });
  }

  #classify(packet: Packet, commandId: number): AttemptOutcome {
    if (packet.code === ACK) {
      return { kind: "ack", payload: packet.payload.slice(), receivedAtMs: this.#clock.now() };
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

/** LINK_CLOSED, or ABORTED when the close is part of a cancellation. */
function closedOrAborted(signal: AbortSignal | undefined): SharebridgeError {
  return signal?.aborted === true ? abortedError() : closedError();
}

function abortedError(): SharebridgeError {
  return new SharebridgeError("ABORTED", "the receiver request was cancelled");
}

function isAbort(error: unknown): boolean {
  return error instanceof SharebridgeError && error.code === "ABORTED";
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortedError();
}

/** `promise`, or ABORTED as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new SharebridgeError("CONFIG_INVALID", `${name} must be a positive number, got ${value}`, {
      option: name,
      value,
    });
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new SharebridgeError("CONFIG_INVALID", `${name} must be a non-negative integer, got ${value}`, {
      option: name,
      value,
    });
  }
  return value;
}
