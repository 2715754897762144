/**
 * The Share publisher client: what the sync engine and the share commands use (DESIGN §6,
 * share-api §14.1).
 *
 *   ShareClient ─┬─ ShareSession (login, account id, login breaker)
 *                ├─ authed calls (one re-login and one retry on a session answer)
 *                ├─ Publisher (assignment, monitoring session, posting readings)
 *                ├─ FollowerManager (list, invite, remove)
 *                └─ ShareTransport (undici pool, TLS verified, deadline, bounded bodies, retries)
 *
 * One instance per account and origin; close it when done.
 *
 * For the sync engine (share-api §18): `postBatch` posts one batch and returns what Share did with
 * it (batch-result.ts); `classifyShareFailure` (failure-class.ts) tells a content refusal from a
 * transient or account failure; the login breaker is loaded with `loginState`, saved through
 * `breakerStore`, and refuses a second login attempt within a cycle by itself.
 */

import { systemTimers, type Timers } from "../clock.js";
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import type { AssignmentReport } from "./assignment.js";
import { type AuthedCaller, authedCaller } from "./authed-call.js";
import type { BatchResult } from "./batch-result.js";
import { parseShareDate } from "./dates.js";
import type { EgvBatch, ShareEgv } from "./egv.js";
import { FollowerManager, type Invitation } from "./follower-manager.js";
import type { ShareFollower } from "./followers.js";
import {
  type Clock,
  LoginBreaker,
  type LoginBreakerState,
  type LoginBreakerStore,
  systemClock,
} from "./login-breaker.js";
import { type AssignmentStatus, type PostOptions, type PostResult, Publisher } from "./publisher.js";
import { type ParsedReadings, parseReadings } from "./readings.js";
import { ShareSession } from "./session.js";
import type { ShareSettings } from "./settings.js";
import { ShareTransport, type ShareTransportStats } from "./transport.js";

export interface ShareClientOptions {
  readonly settings: ShareSettings;
  readonly log?: Logger;
  /** Epoch-ms clock for the login breaker and server-time measurements; tests inject a fake. */
  readonly clock?: Clock;
  /** Timers for the request deadline and Retry-After waits; tests inject fakes. */
  readonly timers?: Timers;
  /** An account id remembered from an earlier run (same account name and region). */
  readonly knownAccountId?: string | undefined;
  /** A login breaker state remembered from an earlier run, so a restart does not retry a bad password. */
  readonly loginState?: LoginBreakerState | undefined;
  /** Where every change of the login breaker is saved, before the login that caused it settles. */
  readonly breakerStore?: LoginBreakerStore | undefined;
}

export interface ServerTime {
  /** Share's UTC clock (share-api §5.3 item 1). */
  readonly serverUtcMs: number;
  /** Local clock when the request was sent and when the answer arrived: the measurement window. */
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
}

/** What UpdatePublisherAccountRuntimeInfo carries (share-api §5.2); all fields are free text. */
export interface RuntimeInfo {
  readonly DeviceManufacturer: string;
  readonly DeviceModel: string;
  readonly DeviceOsVersion: string;
  readonly AppVersion: string;
  readonly AppName: string;
  readonly AppNumber: string;
  readonly DeviceOsName: string;
}

export interface ReadOptions {
  /** Look-back window, 1..1440 minutes (share-api §7.1). */
  readonly minutes: number;
  /** At most this many readings, 1..288 (share-api §7.1). */
  readonly maxCount: number;
  readonly signal?: AbortSignal | undefined;
}

const READ = "Publisher/ReadPublisherLatestGlucoseValues";
const MAX_READ_MINUTES = 1440;
const MAX_READ_COUNT = 288;
const SYSTEM_UTC_TIME = "General/SystemUtcTime";
const RUNTIME_INFO = "Publisher/UpdatePublisherAccountRuntimeInfo";

export class ShareClient {
  readonly #settings: ShareSettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #transport: ShareTransport;
  readonly #breaker: LoginBreaker;
  readonly #session: ShareSession;
  readonly #call: AuthedCaller;
  readonly #publisher: Publisher;
  readonly #followers: FollowerManager;

  constructor(options: ShareClientOptions) {
    this.#settings = options.settings;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? silentLogger).child({ component: "share" });
    const password = this.#settings.password;
    let session: ShareSession | undefined;
    this.#transport = new ShareTransport({
      origin: this.#settings.origin,
      timeouts: this.#settings.timeouts,
      deadlineMs: this.#settings.requestDeadlineMs,
      retry: this.#settings.retry,
      log: this.#log,
      // The session id too: a server may echo it in any form, not only as a UUID (share-api §3.3).
      secrets: () => [password.reveal(), session?.sessionId ?? ""],
      clock: this.#clock,
      timers: options.timers ?? systemTimers,
    });
    this.#breaker = new LoginBreaker(this.#clock, this.#settings.lockoutMs, options.loginState);
    session = new ShareSession({
      transport: this.#transport,
      settings: this.#settings,
      breaker: this.#breaker,
      log: this.#log,
      knownAccountId: options.knownAccountId,
      breakerStore: options.breakerStore,
    });
    this.#session = session;
    this.#call = authedCaller(this.#transport, this.#session, this.#log);
    this.#publisher = new Publisher({
      call: this.#call,
      replaceReceiver: this.#settings.replaceReceiver,
      latestReading: async (minutes, signal) =>
        (await this.readLatestGlucose({ minutes, maxCount: 1, signal })).readings[0]?.wtMs,
      log: this.#log,
    });
    this.#followers = new FollowerManager(this.#call, this.#log);
  }

  /** Why logins are (not) allowed right now; for `status` and the state store. */
  get loginState(): LoginBreakerState {
    return this.#breaker.state;
  }

  /** The account id, once a login found it (or as remembered). Not a secret. */
  get accountId(): string | undefined {
    return this.#session.accountId;
  }

  get stats(): Readonly<ShareTransportStats> {
    return this.#transport.stats;
  }

  /** The operator changed the configuration or ran `share login`: allow logins again. */
  resetCredentials(): void {
    this.#session.resetCredentials();
    this.#publisher.forgetReadiness();
  }

  /**
   * The operator insists (`share login --force`): the next login is attempted whatever the breaker
   * says, a lockout included. Its outcome is recorded as usual.
   */
  overrideLoginBreaker(): void {
    this.#breaker.override();
  }

  /** Logs in now, even with a session in hand: one careful attempt, breaker permitting. */
  async login(signal?: AbortSignal): Promise<{ readonly accountId: string }> {
    await this.#session.fresh(signal);
    const accountId = this.#session.accountId;
    if (accountId === undefined) throw new SharebridgeError("INTERNAL", "logged in without an account id");
    return { accountId };
  }

  /** Share's UTC clock, to cross-check the host clock (DESIGN §5). No login needed. */
  async serverTime(signal?: AbortSignal): Promise<ServerTime> {
    const sentAtMs = this.#clock.now();
    const answer = await this.#transport.call({ operation: SYSTEM_UTC_TIME, method: "GET", signal });
    const receivedAtMs = this.#clock.now();
    const value = answer.kind === "json" ? answer.value : undefined;
    const text =
      typeof value === "object" && value !== null
        ? (value as Record<string, unknown>)["DateTime"]
        : undefined;
    const parsed = parseShareDate(text);
    if (parsed === undefined) {
      throw new SharebridgeError("SHARE_PROTOCOL", `unexpected answer to ${SYSTEM_UTC_TIME}`, {
        operation: SYSTEM_UTC_TIME,
      });
    }
    return { serverUtcMs: parsed.ms, sentAtMs, receivedAtMs };
  }

  assignmentStatus(serial: string, signal?: AbortSignal): Promise<AssignmentStatus> {
    return this.#publisher.assignmentStatus(serial, signal);
  }

  /**
   * What the account's receiver slot holds for `serial` (ours, free, held by another serial that is
   * silent or active, owned by another account) and what posting does about it under
   * `replaceReceiver` (assignment.ts, share-api §18.3). Changes nothing on the account.
   */
  describeAssignment(serial: string, signal?: AbortSignal): Promise<AssignmentReport> {
    return this.#publisher.describeAssignment(serial, signal);
  }

  /** Takes the account's monitored-receiver slot for `serial` regardless of `replaceReceiver`. */
  replaceReceiver(serial: string, signal?: AbortSignal): Promise<void> {
    return this.#publisher.replaceReceiver(serial, signal);
  }

  isMonitoringActive(signal?: AbortSignal): Promise<boolean> {
    return this.#publisher.isMonitoringActive(signal);
  }

  startMonitoring(serial: string, signal?: AbortSignal): Promise<void> {
    return this.#publisher.startMonitoring(serial, signal);
  }

  stopMonitoring(signal?: AbortSignal): Promise<void> {
    return this.#publisher.stopMonitoring(signal);
  }

  /** Check → assign → Start (share-api §14.1 item 3); `postEgvs` does it by itself when needed. */
  ensureReady(serial: string, signal?: AbortSignal): Promise<void> {
    return this.#publisher.ensureReady(serial, signal);
  }

  async updateRuntimeInfo(info: RuntimeInfo, signal?: AbortSignal): Promise<void> {
    const runtimeInfo = Object.fromEntries(
      Object.entries(info).map(([key, value]) => [key, String(value).slice(0, 100)]),
    );
    await this.#call(RUNTIME_INFO, { body: { runtimeInfo }, sessionInBody: true, signal });
  }

  /**
   * Posts readings of the receiver `serial`, oldest first, at most 50 per request, with a hook per
   * acknowledged batch; stops at readings Share calls future (`PostResult.future`) and throws at a
   * refused batch. The sync engine's finer tool is `postBatch`.
   */
  postEgvs(serial: string, readings: readonly ShareEgv[], options?: PostOptions): Promise<PostResult> {
    return this.#publisher.postEgvs(serial, readings, options);
  }

  /**
   * Posts one batch (`planBatches` makes them; any part of one is a batch too) and says what Share
   * did with it: stored, duplicate, future (which readings, as far as the answer tells) or refused
   * for its content. Throws what is not about these readings (classifyShareFailure: transient or
   * account). Assignment and the monitoring session are established first when needed.
   */
  postBatch(serial: string, batch: EgvBatch, signal?: AbortSignal): Promise<BatchResult> {
    return this.#publisher.postBatch(serial, batch, signal);
  }

  /**
   * The latest readings as followers see them, newest first (share-api §7). An empty body, an
   * assignment fault and an empty list all mean "nothing there" and give no readings with
   * `emptyBecause` saying which (the first-run read-back must never block posting).
   */
  async readLatestGlucose(options: ReadOptions): Promise<ParsedReadings> {
    const { minutes, maxCount, signal } = options;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_READ_MINUTES) {
      throw new SharebridgeError(
        "SHARE_INPUT_INVALID",
        `minutes must be an integer in [1, ${MAX_READ_MINUTES}], got ${minutes}`,
        { field: "minutes" },
      );
    }
    if (!Number.isInteger(maxCount) || maxCount < 1 || maxCount > MAX_READ_COUNT) {
      throw new SharebridgeError(
        "SHARE_INPUT_INVALID",
        `maxCount must be an integer in [1, ${MAX_READ_COUNT}], got ${maxCount}`,
        { field: "maxCount" },
      );
    }
    let answer: Awaited<ReturnType<AuthedCaller>>;
    try {
      answer = await this.#call(READ, {
        query: { minutes: String(minutes), maxCount: String(maxCount) },
        signal,
      });
    } catch (error) {
      if (!isSharebridgeError(error, "SHARE_ASSIGNMENT")) throw error;
      this.#log.info({ err: error }, "Share answered the read with an assignment fault: nothing to read");
      return { readings: [], skipped: 0, emptyBecause: "assignment" };
    }
    if (answer.kind === "empty") return { readings: [], skipped: 0, emptyBecause: "empty-body" };
    const parsed = parseReadings(answer.value);
    if (parsed.skipped > 0)
      this.#log.warn({ skipped: parsed.skipped }, "ignored read elements that are not readings");
    return parsed;
  }

  listFollowers(signal?: AbortSignal): Promise<ShareFollower[]> {
    return this.#followers.list(signal);
  }

  /** Invites a follower; `displayName` (default: the account name) is what the follower sees. */
  inviteFollower(
    contactName: string,
    email: string,
    displayName?: string,
    signal?: AbortSignal,
  ): Promise<Invitation> {
    return this.#followers.invite(contactName, email, displayName ?? this.#settings.username, signal);
  }

  removeFollower(contactId: string, signal?: AbortSignal): Promise<boolean> {
    return this.#followers.remove(contactId, signal);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }
}
