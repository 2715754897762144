/**
 * Delivers alerts to `alerts.webhook`, never in the sync's way: `enqueue` only queues and returns;
 * one message is in flight at a time, each attempt bounded in time, failures retried with back-off
 * on the injected timers, and given up (logged) after the last retry. The queue is bounded: when
 * it is full the oldest message goes (it is stale by then).
 *
 *   format "ntfy"   POST, the message as text/plain, its title in a Title header, Priority high for
 *                   an alert, default for an all-clear (ntfy.sh and servers that speak its protocol)
 *   format "json"   POST {"title","message","condition","state","at"} as application/json
 *
 * Any 2xx answer is delivered. The URL may hold a secret (an ntfy topic): only its host is ever
 * logged, and an error names the host and the HTTP status or socket error, never the URL.
 */
import type { TimerHandle, Timers } from "../../clock.js";
import type { AlertFormat } from "../../config/webhook-url.js";
import { SharebridgeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { Pool } from "../../util/undici-pool.js";

export interface AlertMessage {
  /** The condition (conditions.ts), or "test" for `sharebridge alerts test`. */
  readonly condition: string;
  readonly state: "started" | "cleared" | "test";
  readonly title: string;
  readonly message: string;
  /** When the condition started or cleared (host clock, ms). */
  readonly atMs: number;
}

export interface WebhookOptions {
  readonly url: string;
  readonly format: AlertFormat;
  readonly timers: Timers;
  readonly log: Logger;
  /** One attempt's limit, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Waits before each retry, ms. Default 30 s, 1, 2, 5 and 10 min: the last try about 18 min after the first. */
  readonly retryDelaysMs?: readonly number[];
  /** Messages held at most. Default 20. */
  readonly maxQueued?: number;
}

const DEFAULT_RETRY_DELAYS_MS = [30_000, 60_000, 120_000, 300_000, 600_000];
const TAGS = { started: "warning", cleared: "white_check_mark", test: "test_tube" } as const;

/** The request for `message` in `format`. Header values are ASCII (titles are the program's own). */
export function webhookRequest(
  message: AlertMessage,
  format: AlertFormat,
): { headers: Record<string, string>; body: string } {
  if (format === "json") {
    return {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        title: message.title,
        message: message.message,
        condition: message.condition,
        state: message.state,
        at: new Date(message.atMs).toISOString(),
      }),
    };
  }
  return {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      title: message.title.replace(/[^\x20-\x7e]/g, "?"),
      priority: message.state === "started" ? "high" : "default",
      tags: TAGS[message.state],
    },
    body: message.message,
  };
}

export class WebhookSender {
  readonly #o: WebhookOptions;
  readonly #host: string;
  readonly #queue: AlertMessage[] = [];
  #pumping: Promise<void> | undefined;
  #retryTimer: TimerHandle | undefined;
  #wakeRetry: (() => void) | undefined;
  #closed = false;

  constructor(options: WebhookOptions) {
    this.#o = options;
    this.#host = new URL(options.url).host;
  }

  /** Queues `message` for delivery; returns at once and never throws. */
  enqueue(message: AlertMessage): void {
    if (this.#closed) return;
    this.#queue.push(message);
    const max = this.#o.maxQueued ?? 20;
    while (this.#queue.length > max) {
      const dropped = this.#queue.shift();
      this.#o.log.warn(
        { condition: dropped?.condition, state: dropped?.state },
        "alert dropped: too many waiting",
      );
    }
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pumping !== undefined) await this.#pumping;
  }

  /** Stops: a retry waiting is abandoned, queued messages are dropped (and counted in the log). */
  close(): void {
    this.#closed = true;
    if (this.#queue.length > 0)
      this.#o.log.warn({ dropped: this.#queue.length }, "alerts not delivered at shutdown");
    this.#queue.length = 0;
    if (this.#retryTimer !== undefined) this.#o.timers.clearTimeout(this.#retryTimer);
    this.#wakeRetry?.();
  }

  /** One attempt, for `sharebridge alerts test`: resolves with the HTTP status, or throws ALERT_UNDELIVERED. */
  async deliverOnce(message: AlertMessage): Promise<number> {
    const { headers, body } = webhookRequest(message, this.#o.format);
    const timeoutMs = this.#o.timeoutMs ?? 10_000;
    const controller = new AbortController();
    const timer = this.#o.timers.setTimeout(() => controller.abort(), timeoutMs);
    let status: number;
    // A pool of its own per attempt (alerts are rare), destroyed after: nothing outlives the attempt.
    let pool: Pool | undefined;
    try {
      const url = new URL(this.#o.url);
      pool = new Pool(url.origin, { connections: 1 });
      const response = await pool.request({
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers,
        body,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      await response.body.dump().catch(() => undefined);
    } catch (error) {
      const errno = controller.signal.aborted
        ? "timeout"
        : ((error as NodeJS.ErrnoException).code ?? (error as Error).name ?? "error");
      throw new SharebridgeError(
        "ALERT_UNDELIVERED",
        `the alert webhook at ${this.#host} could not be reached (${errno})`,
        { host: this.#host, errno },
      );
    } finally {
      this.#o.timers.clearTimeout(timer);
      await pool?.destroy().catch(() => undefined);
    }
    if (status < 200 || status > 299) {
      throw new SharebridgeError(
        "ALERT_UNDELIVERED",
        `the alert webhook at ${this.#host} answered HTTP ${status}`,
        {
          host: this.#host,
          status,
        },
      );
    }
    return status;
  }

  async #pump(): Promise<void> {
    const delays = this.#o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (let message = this.#queue[0]; message !== undefined && !this.#closed; message = this.#queue[0]) {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.deliverOnce(message);
          this.#o.log.info(
            { condition: message.condition, state: message.state, host: this.#host },
            "alert sent",
          );
          break;
        } catch (error) {
          const last = attempt >= delays.length;
          const detail = error instanceof Error ? error.message : String(error);
          if (last) {
            this.#o.log.error(
              { condition: message.condition, state: message.state, attempts: attempt + 1 },
              `alert not delivered: ${detail}`,
            );
            break;
          }
          this.#o.log.warn(
            { condition: message.condition, attempt: attempt + 1 },
            `alert not delivered yet, retrying: ${detail}`,
          );
          await this.#sleep(delays[attempt] ?? 0);
          if (this.#closed) return;
        }
      }
      // It may have been dropped from the full queue meanwhile; only the delivered one leaves.
      if (this.#queue[0] === message) this.#queue.shift();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeRetry = resolve;
      this.#retryTimer = this.#o.timers.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#wakeRetry = undefined;
        resolve();
      }, ms);
    });
  }
}
