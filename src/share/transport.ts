/**
 * One HTTP exchange with Share, done carefully: the only file that touches undici.
 *
 * - One `Pool` for the one origin, with explicit connect, headers and body timeouts (undici's
 *   defaults wait 300 s), a response size cap, and TLS certificate verification set on the
 *   connection itself, so that `NODE_TLS_REJECT_UNAUTHORIZED=0` in the environment cannot switch it
 *   off and send the password to whoever answers.
 * - Every exchange has an overall deadline (`deadlineMs`, from sending to the last body byte): the
 *   headers and body timeouts measure silences, and a server that trickles a byte every few
 *   seconds would otherwise hold a call, and the sync cycle, for ever. A missed deadline is
 *   transient for the caller but not retried inside the call: the cycle gives up and backs off.
 * - Every response body is read to the end (bounded) or destroyed, on success and on error, so
 *   no socket is left waiting for a consumer.
 * - 2xx: an empty body (or JSON null, or whitespace) is the void success (share-api §1.4, §18.6);
 *   otherwise JSON, and a JSON error envelope on a 2xx is a protocol error, never a success.
 *   Non-2xx with a JSON object carrying `Code` is an application fault (share-api §9.1), never
 *   retried here: HTTP 500 also carries wrong-password answers, and retrying those walks into the
 *   lockout (share-api §3.4). Transport failures, 503, 429 and other non-JSON 5xx are transient and
 *   retried with p-retry (jitter, bounded, abortable; share-api §14.1 item 6); a `Retry-After` on
 *   429/503 is honoured before the next attempt (bounded to 1 h, §18.11) and reported on the final
 *   error as `context.retryAfterMs`.
 * - Nothing secret is logged: not the query (it holds the session id), not bodies; server text is
 *   scrubbed before it is cut.
 */
import pRetry from "p-retry";
import { type Clock, sleep, systemClock, systemTimers, type Timers } from "../clock.js";
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { Pool } from "../util/undici-pool.js";
import {
  envelopeOnSuccessError,
  faultError,
  isTransientShareError,
  parseFaultEnvelope,
  scrubServerText,
} from "./fault.js";
import { SERVICE_PREFIX, SHARE_USER_AGENT } from "./regions.js";
import { parseRetryAfter } from "./retry-after.js";
import type { ShareRetry, ShareTimeouts } from "./settings.js";

export interface ShareCall {
  /** Service group and operation, e.g. `Publisher/PostReceiverEgvRecords`. */
  readonly operation: string;
  /** POST for everything but `General/SystemUtcTime` (share-api §1.3). */
  readonly method?: "GET" | "POST";
  readonly query?: Readonly<Record<string, string>>;
  /** Serialised as JSON; `undefined` sends an empty POST with `Content-Length: 0` (share-api §1.3). */
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
}

export type ShareAnswer = { readonly kind: "empty" } | { readonly kind: "json"; readonly value: unknown };

export interface ShareTransportOptions {
  readonly origin: string;
  readonly timeouts: ShareTimeouts;
  /** Overall deadline of one exchange, ms: sending the request to the last byte of the answer. */
  readonly deadlineMs: number;
  readonly retry: ShareRetry;
  readonly log: Logger;
  /** Texts to scrub from any server message before it is logged or put in an error. */
  readonly secrets?: () => readonly string[];
  readonly maxResponseBytes?: number;
  /** For Retry-After dates; default the host clock. */
  readonly clock?: Clock;
  /** For the deadline and Retry-After waits; default node's timers. */
  readonly timers?: Timers;
}

/** Counters for `status` and metrics. */
export interface ShareTransportStats {
  requests: number;
  transientFailures: number;
  faults: number;
}

/**
 * A read of 288 readings is about 40 KB and a follower list a few KB; 1 MiB is generous and still
 * small for a Pi Zero.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Longest server text kept in an error's `preview` (after scrubbing). */
const PREVIEW_LENGTH = 80;

/** May this failure be repeated inside the same call? Transient, except a missed deadline. */
function retryableInCall(error: unknown): boolean {
  return isTransientShareError(error) && (error as SharebridgeError).context["reason"] !== "deadline";
}

function retryAfterOf(error: unknown): number | undefined {
  const value = isSharebridgeError(error) ? error.context["retryAfterMs"] : undefined;
  return typeof value === "number" ? value : undefined;
}

export class ShareTransport {
  readonly stats: ShareTransportStats = { requests: 0, transientFailures: 0, faults: 0 };
  readonly #pool: Pool;
  readonly #options: ShareTransportOptions;
  readonly #maxBytes: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #timers: Timers;

  constructor(options: ShareTransportOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#pool = new Pool(options.origin, {
      connections: 2,
      // rejectUnauthorized explicitly: node's default for it comes from NODE_TLS_REJECT_UNAUTHORIZED.
      connect: { timeout: options.timeouts.connectMs, rejectUnauthorized: true },
      headersTimeout: options.timeouts.headersMs,
      bodyTimeout: options.timeouts.bodyMs,
      maxResponseSize: this.#maxBytes,
    });
  }

  /** Performs the call, retrying transient failures per the retry settings. */
  async call(call: ShareCall): Promise<ShareAnswer> {
    const { retry } = this.#options;
    try {
      return await pRetry(() => this.#once(call), {
        retries: retry.retries,
        minTimeout: retry.minDelayMs,
        maxTimeout: retry.maxDelayMs,
        factor: 2,
        randomize: true,
        signal: call.signal,
        shouldRetry: ({ error }) => retryableInCall(error),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!isTransientShareError(error)) return;
          this.stats.transientFailures++;
          const context = isSharebridgeError(error) ? error.context : {};
          const again = retriesLeft > 0 && retryableInCall(error);
          this.#log.warn(
            { operation: call.operation, attempt: attemptNumber, retriesLeft, ...context },
            again ? "Share unavailable; will retry" : "Share unavailable; giving up on this request",
          );
          // The server named its earliest time for another attempt: never sooner (p-retry's own
          // back-off follows). Bounded by parseRetryAfter; an abort ends the wait.
          const retryAfterMs = retryAfterOf(error);
          if (again && retryAfterMs !== undefined) await sleep(retryAfterMs, call.signal, this.#timers);
        },
      });
    } catch (error) {
      if (call.signal?.aborted === true && !isSharebridgeError(error)) {
        throw new SharebridgeError(
          "ABORTED",
          `${call.operation} was interrupted`,
          { operation: call.operation },
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /** Idempotent; waits for requests in flight. */
  async close(): Promise<void> {
    if (this.#pool.closed || this.#pool.destroyed) return;
    await this.#pool.close();
  }

  async #once(call: ShareCall): Promise<ShareAnswer> {
    const method = call.method ?? "POST";
    const query = call.query === undefined ? "" : `?${new URLSearchParams(call.query).toString()}`;
    const headers: Record<string, string> = { accept: "application/json", "user-agent": SHARE_USER_AGENT };
    let body: string | undefined;
    if (method === "POST") {
      headers["content-type"] = "application/json";
      if (call.body !== undefined) body = JSON.stringify(call.body);
      else headers["content-length"] = "0";
    }
    const started = performance.now();
    this.stats.requests++;
    const deadline = new AbortController();
    const timer = this.#timers.setTimeout(() => deadline.abort(), this.#options.deadlineMs);
    const signal =
      call.signal === undefined ? deadline.signal : AbortSignal.any([call.signal, deadline.signal]);
    try {
      let response: Awaited<ReturnType<Pool["request"]>>;
      try {
        response = await this.#pool.request({
          path: `${SERVICE_PREFIX}${call.operation}${query}`,
          method,
          headers,
          body,
          signal,
        });
      } catch (error) {
        throw this.#transportError(call, error, deadline.signal);
      }
      const status = response.statusCode;
      let text: string;
      try {
        text = await this.#readBody(response, call.operation);
      } catch (error) {
        throw isSharebridgeError(error) ? error : this.#transportError(call, error, deadline.signal);
      }
      this.#log.debug(
        {
          operation: call.operation,
          status,
          bytes: text.length,
          ms: Math.round(performance.now() - started),
        },
        "Share request",
      );
      return this.#interpret(call.operation, status, text, response.headers["retry-after"]);
    } finally {
      this.#timers.clearTimeout(timer);
    }
  }

  /** Reads the whole body, refusing to hold more than the cap; destroys the stream when refusing. */
  async #readBody(response: Awaited<ReturnType<Pool["request"]>>, operation: string): Promise<string> {
    const declared = Number(response.headers["content-length"] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > this.#maxBytes) {
      response.body.destroy();
      throw this.#tooLarge(operation, declared);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body) {
      const bytes = chunk as Buffer;
      total += bytes.length;
      if (total > this.#maxBytes) {
        response.body.destroy();
        throw this.#tooLarge(operation, total);
      }
      chunks.push(bytes);
    }
    return Buffer.concat(chunks, total).toString("utf8");
  }

  #tooLarge(operation: string, bytes: number): SharebridgeError {
    return new SharebridgeError(
      "SHARE_PROTOCOL",
      `the answer to ${operation} is larger than ${this.#maxBytes} bytes`,
      {
        operation,
        bytes,
      },
    );
  }

  #interpret(operation: string, status: number, text: string, retryAfter: unknown): ShareAnswer {
    const trimmed = text.trim();
    let json: { ok: true; value: unknown } | { ok: false } = { ok: false };
    if (trimmed !== "") {
      try {
        json = { ok: true, value: JSON.parse(trimmed) };
      } catch {
        json = { ok: false };
      }
    }
    if (status >= 200 && status < 300) {
      if (trimmed === "" || (json.ok && json.value === null)) return { kind: "empty" };
      if (json.ok) {
        const envelope = parseFaultEnvelope(json.value);
        if (envelope !== undefined) {
          this.stats.faults++;
          throw envelopeOnSuccessError(operation, status, envelope, this.#secrets());
        }
        return { kind: "json", value: json.value };
      }
      throw new SharebridgeError("SHARE_PROTOCOL", `the answer to ${operation} is not JSON`, {
        operation,
        httpStatus: status,
        reason: "not-json",
        preview: this.#preview(trimmed),
      });
    }
    // 429 and 503 may name the earliest time for another attempt (share-api §18.11).
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(retryAfter, this.#clock.now()) : undefined;
    const hint = retryAfterMs === undefined ? {} : { retryAfterMs };
    if (json.ok) {
      const envelope = parseFaultEnvelope(json.value);
      if (envelope !== undefined) {
        this.stats.faults++;
        throw faultError(operation, status, envelope, this.#secrets(), hint);
      }
    }
    // Non-JSON failures: 503 is "service unavailable" (share-api §9.1); other 5xx, 408 and 429 are
    // treated the same way. Remaining 4xx (e.g. 400 for malformed input, share-api §3.3) are refusals.
    const transient = status >= 500 || status === 408 || status === 429;
    const preview = this.#preview(trimmed);
    if (transient) {
      throw new SharebridgeError("SHARE_UNAVAILABLE", `Share answered HTTP ${status} to ${operation}`, {
        operation,
        httpStatus: status,
        preview,
        ...hint,
      });
    }
    throw new SharebridgeError(
      status >= 300 && status < 400 ? "SHARE_PROTOCOL" : "SHARE_REJECTED",
      `Share answered HTTP ${status} to ${operation}`,
      { operation, httpStatus: status, preview },
    );
  }

  #transportError(call: ShareCall, error: unknown, deadline: AbortSignal): SharebridgeError {
    if (deadline.aborted && call.signal?.aborted !== true) {
      const { deadlineMs } = this.#options;
      return new SharebridgeError(
        "SHARE_UNAVAILABLE",
        `Share did not finish answering ${call.operation} within ${deadlineMs / 1000} s`,
        { operation: call.operation, reason: "deadline", deadlineMs },
        { cause: error },
      );
    }
    if (call.signal?.aborted === true) {
      return new SharebridgeError(
        "ABORTED",
        `${call.operation} was interrupted`,
        { operation: call.operation },
        {
          cause: error,
        },
      );
    }
    const cause = error as { code?: unknown; name?: unknown };
    const causeCode = typeof cause.code === "string" ? cause.code : String(cause.name ?? "unknown");
    if (causeCode === "UND_ERR_INVALID_ARG") {
      return new SharebridgeError(
        "INTERNAL",
        `invalid request for ${call.operation}`,
        { operation: call.operation },
        {
          cause: error,
        },
      );
    }
    if (causeCode === "UND_ERR_RES_EXCEEDED_MAX_SIZE")
      return this.#tooLarge(call.operation, this.#maxBytes + 1);
    return new SharebridgeError(
      "SHARE_UNAVAILABLE",
      `cannot reach Share for ${call.operation} (${causeCode})`,
      { operation: call.operation, cause: causeCode },
      { cause: error },
    );
  }

  /** Scrubbed first, then cut: a secret straddling the cut must not survive in part. */
  #preview(text: string): string {
    return scrubServerText(text, this.#secrets(), PREVIEW_LENGTH);
  }

  #secrets(): readonly string[] {
    return this.#options.secrets?.() ?? [];
  }
}
