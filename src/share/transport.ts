/**
 * One HTTP exchange with Share, done carefully: the only file that touches undici.
 *
 * - One `Pool` for the one origin, with explicit connect, headers and body timeouts (undici's
 *   defaults wait 300 s) and a response size cap.
 * - Every response body is read to the end (bounded) or destroyed, on success and on error, so
 *   no socket is left waiting for a consumer.
 * - 2xx: an empty body means success for void operations (share-api §1.4); otherwise JSON.
 *   Non-2xx with a JSON object carrying `Code` is an application fault (share-api §9.1), never
 *   retried here: HTTP 500 also carries wrong-password answers, and retrying those walks into the
 *   lockout (share-api §3.4). Transport failures, 503 and other non-JSON 5xx are transient and
 *   retried with p-retry (jitter, bounded, abortable; share-api §14.1 item 6).
 * - Nothing secret is logged: not the query (it holds the session id), not bodies.
 */
import pRetry from "p-retry";
import { Pool } from "undici";
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { faultError, isTransientShareError, parseFaultEnvelope, scrubServerText } from "./fault.js";
import { SERVICE_PREFIX, SHARE_USER_AGENT } from "./regions.js";
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
  readonly retry: ShareRetry;
  readonly log: Logger;
  /** Texts to scrub from any server message before it is logged or put in an error. */
  readonly secrets?: () => readonly string[];
  readonly maxResponseBytes?: number;
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

export class ShareTransport {
  readonly stats: ShareTransportStats = { requests: 0, transientFailures: 0, faults: 0 };
  readonly #pool: Pool;
  readonly #options: ShareTransportOptions;
  readonly #maxBytes: number;
  readonly #log: Logger;

  constructor(options: ShareTransportOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#pool = new Pool(options.origin, {
      connections: 2,
      connect: { timeout: options.timeouts.connectMs },
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
        shouldRetry: ({ error }) => isTransientShareError(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (!isTransientShareError(error)) return;
          this.stats.transientFailures++;
          const context = isSharebridgeError(error) ? error.context : {};
          this.#log.warn(
            { operation: call.operation, attempt: attemptNumber, retriesLeft, ...context },
            retriesLeft > 0
              ? "Share unavailable; will retry"
              : "Share unavailable; giving up on this request",
          );
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
    let response: Awaited<ReturnType<Pool["request"]>>;
    try {
      response = await this.#pool.request({
        path: `${SERVICE_PREFIX}${call.operation}${query}`,
        method,
        headers,
        body,
        signal: call.signal,
      });
    } catch (error) {
      throw this.#transportError(call, error);
    }
    const status = response.statusCode;
    let text: string;
    try {
      text = await this.#readBody(response, call.operation);
    } catch (error) {
      throw isSharebridgeError(error) ? error : this.#transportError(call, error);
    }
    this.#log.debug(
      { operation: call.operation, status, bytes: text.length, ms: Math.round(performance.now() - started) },
      "Share request",
    );
    return this.#interpret(call.operation, status, text);
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

  #interpret(operation: string, status: number, text: string): ShareAnswer {
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
      if (trimmed === "") return { kind: "empty" };
      if (json.ok) return { kind: "json", value: json.value };
      throw new SharebridgeError("SHARE_PROTOCOL", `the answer to ${operation} is not JSON`, {
        operation,
        httpStatus: status,
        preview: this.#scrub(trimmed.slice(0, 80)),
      });
    }
    if (json.ok) {
      const envelope = parseFaultEnvelope(json.value);
      if (envelope !== undefined) {
        this.stats.faults++;
        throw faultError(operation, status, envelope, this.#secrets());
      }
    }
    // Non-JSON failures: 503 is "service unavailable" (share-api §9.1); other 5xx, 408 and 429 are
    // treated the same way. Remaining 4xx (e.g. 400 for malformed input, share-api §3.3) are refusals.
    const transient = status >= 500 || status === 408 || status === 429;
    const preview = this.#scrub(trimmed.slice(0, 80));
    if (transient) {
      throw new SharebridgeError("SHARE_UNAVAILABLE", `Share answered HTTP ${status} to ${operation}`, {
        operation,
        httpStatus: status,
        preview,
      });
    }
    throw new SharebridgeError(
      status >= 300 && status < 400 ? "SHARE_PROTOCOL" : "SHARE_REJECTED",
      `Share answered HTTP ${status} to ${operation}`,
      { operation, httpStatus: status, preview },
    );
  }

  #transportError(call: ShareCall, error: unknown): SharebridgeError {
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

  #scrub(text: string): string {
    return scrubServerText(text, this.#secrets());
  }

  #secrets(): readonly string[] {
    return this.#options.secrets?.() ?? [];
  }
}
