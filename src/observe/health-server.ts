/**
 * The optional local health and metrics endpoint (issue 5 "Operating it"; DESIGN.md §8). Off unless
 * `http.listen` is configured, loopback by default (`parseListen` in src/config/load.ts).
 *
 *   GET /healthz   200 {"status":"ok",…} while a cycle succeeded within two reading intervals
 *                  (`isHealthy`), else 503 {"status":"unhealthy","reason":…}: Docker's HEALTHCHECK
 *                  and systemd watchdog scripts need only the status code
 *   GET /metrics   the Prometheus text exposition (metrics.ts)
 *   GET /          the status page, and GET /status.json its facts (observe/page/), when given
 *   HEAD           the same headers without a body
 *   other methods  405 with an Allow header; other paths 404
 *
 * Access (observe/page/page-access.ts): with a token (http.tokenFile) everything but /healthz asks
 * for it. Listening beyond loopback requires one, and then /healthz leaves out the serial and the
 * reason's free text: it stays open for health checks and says nothing personal.
 *
 * Every request is untrusted: no request body is ever read (a request announcing one is answered
 * and its connection closed), headers must arrive within a few seconds and stay small, and at most
 * a handful of connections are held at once. When a new connection arrives at that bound, the
 * oldest connection that is not in the middle of a request (a slow client still sending headers,
 * an idle keep-alive) is dropped to make room, rather than the newcomer refused: slow clients can
 * hold at most the bound, never the endpoint, and a health probe that sends its request promptly
 * is always answered. A Pi Zero must not be kept busy by a stuck or hostile client.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { type DaemonSnapshot, isHealthy } from "../sync/daemon-status.js";
import { json, type Reply, text } from "./http-reply.js";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.js";
import { type AccessCheck, checkAccess } from "./page/page-access.js";

export interface HealthServerOptions {
  /** Where to listen; port 0 picks a free port (tests). */
  readonly listen: { readonly host: string; readonly port: number };
  /** The daemon's current facts; called once per request. */
  readonly snapshot: () => DaemonSnapshot;
  readonly log: Logger;
  /** Time allowed for a request's headers, ms. Default 5000; tests shorten it. */
  readonly headersTimeoutMs?: number;
  /** The status page's routes (observe/page/status-page.ts); without them only /healthz and /metrics. */
  readonly page?: PageRoutes | undefined;
  /** The access token (http.tokenFile); required to listen beyond loopback. */
  readonly token?: string | undefined;
}

/** Paths served besides /healthz and /metrics, and how (the status page). */
export interface PageRoutes {
  readonly paths: readonly string[];
  /** The answer for `path` (one of `paths`), given the request's address and the daemon's facts. */
  reply(path: string, url: URL, snapshot: DaemonSnapshot): Promise<Reply>;
}

export interface HealthServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Connections held now; never more than the bound (16). */
  openConnections(): number;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/** Request headers must be complete within this time (slowloris). */
const HEADERS_TIMEOUT_MS = 5_000;
/** A whole request, likewise. */
const REQUEST_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Request header bytes accepted (node's default is 16 KiB; a health probe sends a few hundred). */
const MAX_HEADER_BYTES = 8 * 1024;
/** Connections held at once: a scraper and a health check need two. */
export const MAX_CONNECTIONS = 16;

/**
 * The connections held, oldest first, each marked while a request on it is being answered. Admitting
 * one at the bound drops the oldest idle one (else the oldest), so the newest always gets its turn.
 */
class ConnectionBudget {
  readonly #busy = new Map<Socket, boolean>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.#busy.size;
  }

  admit(socket: Socket): void {
    while (this.#busy.size >= this.max) {
      let victim: Socket | undefined;
      for (const [held, busy] of this.#busy) {
        if (!busy) {
          victim = held;
          break;
        }
      }
      victim ??= this.#busy.keys().next().value as Socket;
      this.#busy.delete(victim);
      victim.destroy();
    }
    this.#busy.set(socket, false);
    socket.once("close", () => this.#busy.delete(socket));
  }

  mark(socket: Socket, busy: boolean): void {
    if (this.#busy.has(socket)) this.#busy.set(socket, busy);
  }
}

const ALLOWED_METHODS = "GET, HEAD";

/** Whole seconds from `thenMs` to the snapshot's now, or null when unknown. */
function ageSeconds(snapshot: DaemonSnapshot, thenMs: number | undefined): number | null {
  return thenMs === undefined ? null : Math.round((snapshot.nowMs - thenMs) / 1000);
}

/** Why `isHealthy` said no, in words an operator acts on. */
export function unhealthyReason(snapshot: DaemonSnapshot): string {
  const limitSeconds = 2 * snapshot.readingIntervalSeconds;
  const since = snapshot.lastSuccessAtMs;
  const elapsedSeconds = Math.round((snapshot.nowMs - (since ?? snapshot.startedAtMs)) / 1000);
  const what =
    since === undefined
      ? `no sync cycle has succeeded in the ${elapsedSeconds} s since the start`
      : `the last successful sync cycle was ${elapsedSeconds} s ago`;
  const waiting = snapshot.waitingFor === undefined ? "" : `; waiting for ${snapshot.waitingFor}`;
  const error = snapshot.lastCycle?.error === undefined ? "" : `; last error: ${snapshot.lastCycle.error}`;
  return `${what} (limit ${limitSeconds} s, two reading intervals)${waiting}${error}`.slice(0, 500);
}

/**
 * The /healthz answer: a small JSON object, 200 or 503. `open` (the listener reaches beyond
 * loopback): without the serial, and the reason without free text (an error's words may name it).
 */
export function healthReply(
  snapshot: DaemonSnapshot,
  options: { readonly open?: boolean } = {},
): { status: 200 | 503; body: Record<string, unknown> } {
  const common = {
    phase: snapshot.phase,
    ...(options.open === true ? {} : { serial: snapshot.serial ?? null }),
    lastSuccessAgeSeconds: ageSeconds(snapshot, snapshot.lastSuccessAtMs),
    lastPostAgeSeconds: ageSeconds(snapshot, snapshot.lastPostUtcMs),
    backlog: snapshot.backlog,
  };
  if (isHealthy(snapshot)) return { status: 200, body: { status: "ok", ...common } };
  const reason = unhealthyReason(
    options.open === true ? { ...snapshot, waitingFor: undefined, lastCycle: undefined } : snapshot,
  );
  return { status: 503, body: { status: "unhealthy", reason, ...common } };
}

/** The request target's path, without query or fragment; absolute-form targets are not served. */
function pathOf(url: string | undefined): string {
  const target = url ?? "";
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/** The request target as a URL (origin-form only: absolute-form targets are not served). */
function targetUrl(url: string | undefined): URL {
  const target = url ?? "";
  return new URL(target.startsWith("/") ? target : "/-", "http://sharebridge.invalid");
}

async function route(request: IncomingMessage, options: HealthServerOptions, open: boolean): Promise<Reply> {
  const path = pathOf(request.url);
  const pagePaths = options.page?.paths ?? [];
  if (path !== "/healthz" && path !== "/metrics" && !pagePaths.includes(path)) {
    const known = [...pagePaths, "/healthz"];
    return text(404, `not found: try ${known.join(", ")} or /metrics\n`);
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return { ...text(405, "method not allowed\n"), headers: { allow: ALLOWED_METHODS } };
  }
  const url = targetUrl(request.url);
  if (path !== "/healthz") {
    const access: AccessCheck = checkAccess(request, url, options.token);
    if (!access.allowed) return access.reply;
  }
  const facts = options.snapshot();
  if (path === "/metrics")
    return { status: 200, contentType: METRICS_CONTENT_TYPE, body: renderMetrics(facts) };
  if (path === "/healthz") {
    const health = healthReply(facts, { open });
    return json(health.status, health.body);
  }
  return (options.page as PageRoutes).reply(path, url, facts);
}

/** A request that announces a body: it is never read, so the connection cannot be reused. */
function announcesBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

function answer(request: IncomingMessage, response: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, "utf8");
  response.statusCode = reply.status;
  response.setHeader("content-type", reply.contentType);
  response.setHeader("content-length", body.length);
  response.setHeader("cache-control", "no-store");
  response.setHeader("x-content-type-options", "nosniff");
  for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
  if (announcesBody(request)) response.setHeader("connection", "close");
  response.end(request.method === "HEAD" ? undefined : body);
  // Without this, node would read and discard the unread body to keep the connection usable.
  if (announcesBody(request)) response.once("finish", () => request.socket.destroy());
}

/** Loopback addresses: localhost, 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Starts the endpoint; resolves once it listens. Listen failures are CONFIG_INVALID naming http.listen. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const log = options.log.child({ component: "health" });
  const headersTimeoutMs = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const budget = new ConnectionBudget(MAX_CONNECTIONS);
  const { host, port } = options.listen;
  const open = !isLoopback(host);
  if (open && options.token === undefined) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      `http.listen: ${host} is not a loopback address, and no access token is set (http.tokenFile)`,
      {
        key: "http.tokenFile",
        fix: "put a token of at least 16 characters in a file (e.g. openssl rand -hex 16 > /etc/sharebridge/http-token) and set http.tokenFile to it, or listen on 127.0.0.1",
      },
    );
  }
  // node enforces the timeouts below only at each connectionsCheckingInterval (default 30 s).
  const server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs) },
    (request, response) => {
      budget.mark(request.socket, true);
      response.once("close", () => budget.mark(request.socket, false));
      route(request, options, open)
        .catch((error: unknown) => {
          log.error({ err: error }, "health endpoint could not build its answer");
          return text(500, "internal error\n");
        })
        .then((reply) => answer(request, response, reply));
    },
  );
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = Math.max(REQUEST_TIMEOUT_MS, headersTimeoutMs);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.maxHeadersCount = 50;
  server.on("connection", (socket: Socket) => budget.admit(socket));
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // Malformed requests, oversized headers, slow headers: answer when still possible, then drop.
    const status =
      error.code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException) => {
      const errno = error.code ?? "error";
      reject(
        new SharebridgeError(
          "CONFIG_INVALID",
          `http.listen: cannot listen on ${host}:${port} (${errno})`,
          {
            key: "http.listen",
            errno,
            fix:
              errno === "EADDRINUSE"
                ? "another program uses that port: choose another one"
                : "choose an address of this host and a port above 1023",
          },
          { cause: error },
        ),
      );
    };
    server.once("error", refuse);
    server.listen(port, host, () => {
      server.off("error", refuse);
      resolve();
    });
  });
  // Errors after listening (rare: e.g. EMFILE on accept) must not crash the daemon.
  server.on("error", (error) => log.error({ err: error }, "health endpoint error"));

  const bound = (server.address() as AddressInfo).port;
  if (open) {
    log.info(
      { host, port: bound },
      "listening beyond loopback: everything but /healthz asks for the access token",
    );
  }

  let closing: Promise<void> | undefined;
  return {
    port: bound,
    openConnections: () => budget.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
