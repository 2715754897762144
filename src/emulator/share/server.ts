/**
 * The Share emulator's HTTP side (share-api §14.2, DESIGN §9): one node:http listener per region,
 * loopback by default, paths under `/ShareWebServices/Services/`, query keys matched
 * case-insensitively, bodies absent, empty or `{}` all accepted, void successes truly empty, faults
 * in the real envelope. Every request is logged in memory (for tests' exact request counts) and,
 * at info level, to the logger — never with its query or body, which carry secrets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemTimers, type Timers } from "../../clock.js";
import { fail, SharebridgeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { silentLogger } from "../../log.js";
import { SERVICE_PREFIX, SHARE_REGIONS, type ShareRegion } from "../../share/regions.js";
import { EGV_OPERATIONS } from "./egv-ops.js";
import { latencyFor, loginAnswer, throttleAnswer, writeAnswer } from "./fault-injection.js";
import { FOLLOWER_OPERATIONS } from "./follower-ops.js";
import { GENERAL_OPERATIONS } from "./general-ops.js";
import {
  type Answer,
  caseInsensitive,
  cloudflareHeaders,
  readBody,
  seededRandom,
  text,
} from "./http-helpers.js";
import { resolveKnobs, type ShareEmulatorKnobs, type ShareEmulatorKnobsInput } from "./knobs.js";
import { type AccountRecord, type EmulatorAccountInput, EmulatorState } from "./model.js";
import { bodyObject, type OpContext, type Operation, type Reply } from "./operation.js";
import { loadState, saveState } from "./persistence.js";
import { PUBLISHER_OPERATIONS } from "./publisher-ops.js";
import { renderReply, resolveSession } from "./session-check.js";

const OPERATIONS: Readonly<Record<string, Operation>> = {
  ...GENERAL_OPERATIONS,
  ...PUBLISHER_OPERATIONS,
  ...EGV_OPERATIONS,
  ...FOLLOWER_OPERATIONS,
};

/** In-memory request log length; counts per operation are kept separately and never dropped. */
const MAX_LOG_ENTRIES = 10_000;

export interface ListenAddress {
  readonly host?: string;
  readonly port?: number;
}

export interface ShareEmulatorOptions {
  readonly accounts?: readonly EmulatorAccountInput[];
  readonly knobs?: ShareEmulatorKnobsInput;
  /** Which regions get a listener, and where; default: all three on 127.0.0.1, ephemeral ports. */
  readonly listen?: Partial<Record<ShareRegion, ListenAddress>>;
  /** Epoch-ms clock (sessions, lockout, future readings, reads, fault windows); default Date.now. */
  readonly now?: () => number;
  /** Timers for latency and trickled bodies; default node's. Tests pass fakes. */
  readonly timers?: Timers;
  /** Keep account data in this JSON file across restarts. */
  readonly stateFile?: string;
  readonly log?: Logger;
}

export interface RequestLogEntry {
  readonly seq: number;
  readonly atMs: number;
  readonly region: ShareRegion;
  readonly method: string;
  /** `General/...` or `Publisher/...`, or the raw path (without query) for unknown paths. */
  readonly operation: string;
  readonly status: number;
  /** The fault `Code` when the answer was a fault. */
  readonly code: string | undefined;
}

export class ShareEmulator {
  readonly state = new EmulatorState();
  #knobs: ShareEmulatorKnobs;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #stateFile: string | undefined;
  readonly #startedAt: number;
  readonly #servers = new Map<ShareRegion, { server: Server; url: string }>();
  readonly #requests: RequestLogEntry[] = [];
  readonly #counts = new Map<string, number>();
  #seq = 0;
  #random: () => number;
  /** A generator of its own for latency jitter, so that a latency knob does not shift the fault sequence. */
  #latencyRandom: () => number;
  #outageOverride: boolean | undefined;

  private constructor(options: ShareEmulatorOptions) {
    this.#knobs = resolveKnobs(options.knobs);
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? systemTimers;
    this.#log = (options.log ?? silentLogger).child({ component: "share-emulator" });
    this.#stateFile = options.stateFile;
    this.#startedAt = this.#now();
    this.#random = seededRandom(this.#knobs.faults.seed);
    this.#latencyRandom = seededRandom(latencySeed(this.#knobs.faults.seed));
    for (const input of options.accounts ?? []) {
      this.state.addAccount(input);
      if (input.heldBy !== undefined) {
        this.holdSlot(input.name, input.heldBy.serial, input.heldBy.activity, input.region);
      }
    }
    if (this.#stateFile !== undefined) {
      const restored = loadState(this.#stateFile, this.state, this.#log);
      if (restored > 0) this.#log.info({ restored, path: this.#stateFile }, "restored emulator state");
    }
  }

  static async start(options: ShareEmulatorOptions = {}): Promise<ShareEmulator> {
    const emulator = new ShareEmulator(options);
    const listen = options.listen ?? { us: {}, ous: {}, jp: {} };
    try {
      for (const region of SHARE_REGIONS) {
        const address = listen[region];
        if (address !== undefined) await emulator.#listen(region, address);
      }
    } catch (error) {
      await emulator.close();
      throw error;
    }
    return emulator;
  }

  /** Base URL (scheme, host, port) of a region's listener: what `--server` takes. */
  url(region: ShareRegion = "us"): string {
    const entry = this.#servers.get(region);
    if (entry === undefined)
      fail("INTERNAL", `the emulator has no listener for region ${region}`, { region });
    return entry.url;
  }

  get knobs(): ShareEmulatorKnobs {
    return this.#knobs;
  }

  setKnobs(input: ShareEmulatorKnobsInput): void {
    this.#knobs = resolveKnobs(input, this.#knobs);
    if (input.faults?.seed !== undefined) {
      this.#random = seededRandom(this.#knobs.faults.seed);
      this.#latencyRandom = seededRandom(latencySeed(this.#knobs.faults.seed));
    }
  }

  get requests(): readonly RequestLogEntry[] {
    return this.#requests;
  }

  /** Requests received for `operation` (all requests when omitted) since start or `clearRequests()`. */
  count(operation?: string): number {
    if (operation === undefined) return [...this.#counts.values()].reduce((a, b) => a + b, 0);
    return this.#counts.get(operation) ?? 0;
  }

  countsByOperation(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  clearRequests(): void {
    this.#requests.length = 0;
    this.#counts.clear();
  }

  /** The live record of an account, for assertions and the control methods below. */
  account(name: string, region?: ShareRegion): AccountRecord {
    const account = this.state.findByIdentity(region, name);
    return account ?? fail("INTERNAL", `no emulated account ${name}`, { account: name });
  }

  /** Forces the outage fault on or off; `undefined` returns to the configured window. */
  setOutage(on: boolean | undefined): void {
    this.#outageOverride = on;
  }

  /**
   * Another uploader's receiver takes the account's slot (share-api §18.3): `active` posted a
   * reading a minute ago, `silent` posted nothing recently.
   */
  holdSlot(name: string, serial: string, activity: "silent" | "active", region?: ShareRegion): void {
    const account = this.account(name, region);
    this.state.holdSlot(account, serial, activity === "active" ? this.#now() - 60_000 : undefined);
  }

  /** Forgets every session, as a server restart would. */
  dropSessions(): void {
    this.state.sessions.clear();
  }

  /** Locks an account's logins for `ms`, as repeated failures would. */
  lockAccount(name: string, ms: number, region?: ShareRegion): void {
    this.account(name, region).lockedUntilMs = this.#now() + ms;
  }

  async close(): Promise<void> {
    const closing = [...this.#servers.values()].map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    this.#servers.clear();
    await Promise.all(closing);
    this.#persist();
  }

  async #listen(region: ShareRegion, address: ListenAddress): Promise<void> {
    const server = createServer((req, res) => {
      this.#serve(region, req, res).catch((error: unknown) => {
        this.#log.error({ err: error }, "emulator failed to answer a request");
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end();
      });
    });
    // Bound slow or endless requests (node's own timers, unaffected by test fake timers).
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    const host = address.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      const refuse = (error: NodeJS.ErrnoException) => {
        const errno = error.code ?? "unknown";
        reject(
          new SharebridgeError("CONFIG_INVALID", `cannot listen on ${host}:${address.port ?? 0} (${errno})`, {
            region,
            host,
            port: address.port ?? 0,
            errno,
          }),
        );
      };
      server.once("error", refuse);
      server.listen(address.port ?? 0, host, () => {
        server.off("error", refuse);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    this.#servers.set(region, { server, url: `http://${shownHost}:${port}` });
  }

  async #serve(region: ShareRegion, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = this.#now();
    const raw = await readBody(req);
    let path = "";
    let answer: Answer;
    let operation = "";
    try {
      const url = new URL(req.url ?? "/", "http://emulator");
      path = url.pathname;
      operation = path.startsWith(SERVICE_PREFIX) ? path.slice(SERVICE_PREFIX.length) : path.slice(0, 100);
      answer = this.#answer(region, req.method ?? "GET", operation, path, url.searchParams, raw);
    } catch {
      answer = text(400, "Bad Request");
      operation ||= "(unparsable)";
    }
    const latency = latencyFor(this.#knobs, this.#latencyRandom);
    if (latency > 0)
      await new Promise((resolve) => this.#timers.setTimeout(() => resolve(undefined), latency));
    if (this.#knobs.faults.cloudflareHeaders) Object.assign(answer.headers, cloudflareHeaders());
    // Recorded before it is written: a trickled answer may take longer than the test waits.
    this.#record(region, req.method ?? "", operation, answer);
    writeAnswer(res, answer, this.#knobs, this.#timers);
    this.#log.info(
      {
        region,
        method: req.method,
        operation,
        status: answer.status,
        code: answer.code,
        ms: this.#now() - started,
      },
      "share emulator request",
    );
  }

  #answer(
    region: ShareRegion,
    method: string,
    operation: string,
    path: string,
    params: URLSearchParams,
    raw: Buffer | "too-large",
  ): Answer {
    if (this.#inOutage()) {
      return {
        status: 503,
        headers: { "content-type": "text/html" },
        body: "<html><body><h1>503 Service Unavailable</h1></body></html>",
      };
    }
    const throttled = throttleAnswer(this.#knobs, this.#now() - this.#startedAt);
    if (throttled !== undefined) return throttled;
    if (raw === "too-large") return text(413, "Request Entity Too Large");
    const op = path.startsWith(SERVICE_PREFIX) ? OPERATIONS[operation] : undefined;
    if (op === undefined) return text(404, "Not Found");
    const login = loginAnswer(this.#knobs, operation);
    if (login !== undefined) return login;
    if (method !== op.method) return { ...text(405, "Method Not Allowed"), headers: { allow: op.method } };

    const query = caseInsensitive(params);
    let body: unknown;
    const bodyText = raw.toString("utf8").trim();
    if (bodyText !== "") {
      try {
        body = JSON.parse(bodyText);
      } catch {
        return text(
          400,
          "The server encountered an error processing the request. See server logs for more details.",
        );
      }
    }
    const now = this.#now();
    const base: OpContext = { region, query, body, state: this.state, knobs: this.#knobs, now };
    let reply: Reply;
    if (op.auth === "none") {
      reply = op.handle(base);
    } else {
      const sessionText = op.auth === "body-session" ? bodyObject(body)?.["sessionId"] : query("sessionId");
      const resolved = resolveSession(
        { state: this.state, knobs: this.#knobs, random: this.#random },
        region,
        sessionText,
        now,
        op.nullSessionEmpty === true,
      );
      reply = "kind" in resolved ? resolved : op.handle({ ...base, ...resolved });
    }
    if (op.mutates && reply.kind !== "text") this.#persist();
    return renderReply(reply, this.#knobs, now);
  }

  #inOutage(): boolean {
    if (this.#outageOverride !== undefined) return this.#outageOverride;
    const outage = this.#knobs.faults.outage;
    if (outage === null) return false;
    const since = this.#now() - this.#startedAt;
    return since >= outage.afterMs && since < outage.afterMs + outage.durationMs;
  }

  #record(region: ShareRegion, method: string, operation: string, answer: Answer): void {
    this.#requests.push({
      seq: ++this.#seq,
      atMs: this.#now(),
      region,
      method,
      operation,
      status: answer.status,
      code: answer.code,
    });
    if (this.#requests.length > MAX_LOG_ENTRIES) this.#requests.shift();
    this.#counts.set(operation, (this.#counts.get(operation) ?? 0) + 1);
  }

  #persist(): void {
    if (this.#stateFile === undefined) return;
    try {
      saveState(this.#stateFile, this.state);
    } catch (error) {
      this.#log.error({ err: error, path: this.#stateFile }, "cannot write the emulator state file");
    }
  }
}

function latencySeed(seed: number): number {
  return (seed ^ 0x9e3779b9) >>> 0;
}

/** Starts an emulator; see `ShareEmulatorOptions`. */
export function startShareEmulator(options: ShareEmulatorOptions = {}): Promise<ShareEmulator> {
  return ShareEmulator.start(options);
}
