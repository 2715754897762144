/**
 * The client side of the health endpoint (health-server.ts): one GET /healthz to a running daemon,
 * turned into a verdict and one line an operator (or Docker's health log) reads.
 *
 * Whatever listens at that address is untrusted: the answer is bounded in time and size, its
 * JSON is checked field by field, and text from it is made printable and cut short.
 */
import { request } from "node:http";
import { systemTimers, type Timers } from "../clock.js";
import { durationInWords, printable } from "./words.js";

export interface HealthProbeOptions {
  /** Where the daemon listens (http.listen, parsed). A wildcard address is asked on loopback. */
  readonly host: string;
  readonly port: number;
  /** The whole exchange, connect to last byte, ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly timers?: Timers;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** One line, no line break: "healthy: …" or "unhealthy: …" or what went wrong. */
  readonly line: string;
}

/** /healthz answers with a few hundred bytes; more is not sharebridge. */
const MAX_BODY_BYTES = 16 * 1024;
const MAX_REASON_CHARS = 300;

/** The address to connect to for a listen address: wildcards mean "this host". */
export function connectHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host;
}

function url(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}/healthz`;
}

function shortText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const text = printable(value);
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

function age(value: unknown): string | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0
    ? `${durationInWords(value)} ago`
    : undefined;
}

/** Words for a 200 answer's facts: "last successful cycle 12 s ago, last post 12 s ago, backlog 0". */
function healthyFacts(body: Record<string, unknown>): string {
  const parts: string[] = [];
  const success = age(body["lastSuccessAgeSeconds"]);
  if (success !== undefined) parts.push(`last successful cycle ${success}`);
  const post = age(body["lastPostAgeSeconds"]);
  parts.push(post === undefined ? "nothing posted yet" : `last post ${post}`);
  if (typeof body["backlog"] === "number" && Number.isSafeInteger(body["backlog"])) {
    parts.push(`backlog ${body["backlog"]}`);
  }
  const serial = shortText(body["serial"]);
  if (serial !== undefined) parts.push(`receiver ${serial}`);
  return parts.join(", ");
}

/** Makes the verdict from a complete answer. */
export function verdictFrom(status: number, bodyText: string, where: string): HealthVerdict {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      body = parsed as Record<string, unknown>;
    }
  } catch {
    body = undefined;
  }
  if (status === 200 && body?.["status"] === "ok") {
    return { healthy: true, line: `healthy: ${healthyFacts(body)}` };
  }
  if (status === 503 && body?.["status"] === "unhealthy") {
    return { healthy: false, line: `unhealthy: ${shortText(body["reason"]) ?? "no reason given"}` };
  }
  return {
    healthy: false,
    line: `unhealthy: ${where} answered HTTP ${status} without sharebridge's health report: is http.listen the daemon's address?`,
  };
}

/** Asks the daemon. Never rejects: a failure to ask is an unhealthy verdict that says why. */
export function probeHealth(options: HealthProbeOptions): Promise<HealthVerdict> {
  const host = connectHost(options.host);
  const where = url(host, options.port);
  const timers = options.timers ?? systemTimers;
  return new Promise<HealthVerdict>((resolve) => {
    let settled = false;
    const finish = (verdict: HealthVerdict) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      req.destroy();
      resolve(verdict);
    };
    const req = request(
      {
        host,
        port: options.port,
        path: "/healthz",
        method: "GET",
        agent: false,
        headers: { accept: "application/json" },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            finish({
              healthy: false,
              line: `unhealthy: ${where} answered with more than ${MAX_BODY_BYTES} bytes: not sharebridge's health report`,
            });
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () =>
          finish(verdictFrom(response.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), where)),
        );
        response.on("error", (error: NodeJS.ErrnoException) =>
          finish({
            healthy: false,
            line: `unhealthy: the answer from ${where} broke off (${error.code ?? "error"})`,
          }),
        );
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code ?? "error";
      finish({
        healthy: false,
        line:
          code === "ECONNREFUSED"
            ? `unhealthy: nothing answers at ${where} (ECONNREFUSED): is sharebridge run running, with this http.listen?`
            : `unhealthy: cannot ask ${where} (${code})`,
      });
    });
    const timer = timers.setTimeout(
      () =>
        finish({
          healthy: false,
          line: `unhealthy: ${where} did not answer within ${durationInWords(options.timeoutMs / 1000)}`,
        }),
      options.timeoutMs,
    );
    const onAbort = () =>
      finish({ healthy: false, line: "unhealthy: interrupted before the daemon answered" });
    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    req.end();
  });
}
