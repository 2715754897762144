/**
 * Login and the session id (share-api §3.2, §3.3, §14.1 item 2).
 *
 * Two steps: `AuthenticatePublisherAccount` turns the account name into the account id, which never
 * changes and is kept; `LoginPublisherAccountById` turns it into a session id. A re-login after the
 * server drops a session therefore costs one request. Concurrent callers share one login in flight.
 *
 * What a failed login does to the login breaker (share-api §3.4, §18.8):
 * - the null UUID, every credential code, and HTTP 401/403: refused credentials, no further login
 *   until the operator acts;
 * - a lockout code: no login for the lockout time;
 * - an HTTP 200 that is neither a UUID nor the null UUID (or not JSON at all): a protocol failure,
 *   no login for 5 minutes (LOGIN_PROTOCOL_GAP_MS), then the normal back-off;
 * - no answer, a 5xx, the deadline: no login for 30 s (LOGIN_RETRY_GAP_MS), so that a failed login
 *   is never repeated within the same sync cycle.
 * Every change is handed to the breaker store (when given) before the login settles.
 */

import { isSharebridgeError, SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { faultKindOf } from "./fault.js";
import {
  LOGIN_PROTOCOL_GAP_MS,
  LOGIN_RETRY_GAP_MS,
  type LoginBreaker,
  type LoginBreakerStore,
} from "./login-breaker.js";
import type { ShareSettings } from "./settings.js";
import type { ShareAnswer, ShareTransport } from "./transport.js";
import { isUsableId, NULL_UUID } from "./uuid.js";

export interface ShareSessionOptions {
  readonly transport: ShareTransport;
  readonly settings: ShareSettings;
  readonly breaker: LoginBreaker;
  readonly log: Logger;
  /** An account id remembered from an earlier run for the same account name and region. */
  readonly knownAccountId?: string | undefined;
  /** Where the breaker's changes go, awaited before a login settles. */
  readonly breakerStore?: LoginBreakerStore | undefined;
}

const AUTHENTICATE = "General/AuthenticatePublisherAccount";
const LOGIN_BY_ID = "General/LoginPublisherAccountById";

export class ShareSession {
  readonly #options: ShareSessionOptions;
  #accountId: string | undefined;
  #sessionId: string | undefined;
  #loginInFlight: Promise<string> | undefined;
  /** The breaker state as last handed to the store (or as loaded), to save only changes. */
  #stored: string;

  constructor(options: ShareSessionOptions) {
    this.#options = options;
    this.#stored = JSON.stringify(options.breaker.state);
    this.#accountId = isUsableId(options.knownAccountId) ? options.knownAccountId.toLowerCase() : undefined;
  }

  get accountId(): string | undefined {
    return this.#accountId;
  }

  /** The session id in use, if any: a secret, for scrubbing server text only. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The current session id, logging in first when there is none. */
  async current(signal?: AbortSignal): Promise<string> {
    return this.#sessionId ?? this.#login(signal);
  }

  /** Forgets `sessionId` if it is still the current one (the server rejected it). */
  invalidate(sessionId: string): void {
    if (this.#sessionId === sessionId) this.#sessionId = undefined;
  }

  /** Logs in now even if a session exists (the `share login` check). */
  async fresh(signal?: AbortSignal): Promise<string> {
    this.#sessionId = undefined;
    return this.#login(signal);
  }

  /** The operator acted: forget the account id and allow logins after a credential failure. */
  resetCredentials(): void {
    this.#options.breaker.reset();
    this.#accountId = undefined;
    this.#sessionId = undefined;
  }

  #login(signal?: AbortSignal): Promise<string> {
    this.#loginInFlight ??= this.#doLogin(signal).finally(() => {
      this.#loginInFlight = undefined;
    });
    return this.#loginInFlight;
  }

  async #doLogin(signal?: AbortSignal): Promise<string> {
    const { transport, settings, breaker, log } = this.#options;
    breaker.assertMayLogin();
    try {
      let accountId = this.#accountId;
      if (accountId === undefined) {
        const answer = await transport.call({
          operation: AUTHENTICATE,
          body: {
            accountName: settings.username,
            applicationId: settings.applicationId,
            password: settings.password.reveal(),
          },
          signal,
        });
        accountId = this.#identifier(AUTHENTICATE, answer);
        this.#accountId = accountId;
      }
      const answer = await transport.call({
        operation: LOGIN_BY_ID,
        body: { accountId, applicationId: settings.applicationId, password: settings.password.reveal() },
        signal,
      });
      const sessionId = this.#identifier(LOGIN_BY_ID, answer);
      breaker.recordSuccess();
      this.#sessionId = sessionId;
      log.info({ accountId }, "logged in to Share");
      await this.#save();
      return sessionId;
    } catch (caught) {
      const error = refusalByStatus(caught);
      this.#trip(error);
      await this.#save();
      throw error;
    }
  }

  /** Hands the breaker state to the store when it differs from what the store last got. */
  async #save(): Promise<void> {
    const { breakerStore, breaker, log } = this.#options;
    const state = breaker.state;
    const text = JSON.stringify(state);
    if (breakerStore === undefined || text === this.#stored) return;
    try {
      await breakerStore.save(state);
      this.#stored = text;
    } catch (error) {
      // The login's own outcome is what the caller must see; the store failure is logged loudly.
      log.error({ err: error }, "could not save the Share login breaker state");
    }
  }

  /**
   * A login step's answer must be a usable UUID (share-api §3.2 step 3). The null UUID is a refusal;
   * anything else is a protocol failure, not a verdict on the password (share-api §18.8).
   */
  #identifier(operation: string, answer: ShareAnswer): string {
    const value = answer.kind === "json" ? answer.value : undefined;
    if (isUsableId(value)) return value.toLowerCase();
    if (value === NULL_UUID) {
      throw new SharebridgeError(
        "SHARE_CREDENTIALS",
        `Share answered ${operation} with the null id: the account name, password or region is wrong`,
        { operation, fault: "credentials", shareCode: "null-uuid" },
      );
    }
    throw new SharebridgeError(
      "SHARE_PROTOCOL",
      `Share answered ${operation} with neither an id nor the null id; logging in again later`,
      { operation, reason: "not-a-uuid", answer: answer.kind === "empty" ? "empty" : typeof value },
    );
  }

  /** Records a failed login in the breaker. */
  #trip(error: unknown): void {
    const { breaker, log } = this.#options;
    const kind = faultKindOf(error);
    if (kind !== "credentials" && kind !== "lockout") {
      if (!isSharebridgeError(error) || error.code === "ABORTED") return;
      const protocol = error.code === "SHARE_PROTOCOL";
      const reason = failureReason(error);
      breaker.recordFailure(reason, protocol ? LOGIN_PROTOCOL_GAP_MS : LOGIN_RETRY_GAP_MS);
      log.warn(
        { reason, notBeforeMs: (breaker.state as { notBeforeMs?: number }).notBeforeMs },
        protocol
          ? "Share answered the login with something that is not an id; no login for 5 minutes"
          : "the Share login failed; not trying again in this cycle",
      );
      return;
    }
    const reason = isSharebridgeError(error) ? String(error.context["shareCode"] ?? kind) : kind;
    if (kind === "credentials") {
      // The cached account id may be what is wrong (another account name configured since).
      this.#accountId = undefined;
      breaker.recordCredentialFailure(reason);
      log.error(
        { reason, region: this.#options.settings.region },
        "Share refused the credentials; no further login until the configuration changes or `sharebridge share login` succeeds",
      );
    } else {
      breaker.recordLockout(reason);
      log.error({ reason, state: breaker.state }, "Share locked the account; logins paused");
    }
  }
}

/** HTTP 401/403 to a login call refuse the credentials like a credential code (share-api §18.8). */
function refusalByStatus(error: unknown): unknown {
  if (!isSharebridgeError(error, "SHARE_REJECTED")) return error;
  const status = error.context["httpStatus"];
  if (status !== 401 && status !== 403) return error;
  return new SharebridgeError(
    "SHARE_CREDENTIALS",
    `Share answered HTTP ${status} to ${String(error.context["operation"])}: treated as refused credentials`,
    { ...error.context, fault: "credentials", shareCode: `http-${status}` },
    { cause: error },
  );
}

/** A short, secret-free name for why a login failed. */
function failureReason(error: SharebridgeError): string {
  const { context } = error;
  if (typeof context["reason"] === "string") return context["reason"];
  if (typeof context["httpStatus"] === "number") return `http-${context["httpStatus"]}`;
  if (typeof context["cause"] === "string") return context["cause"];
  return error.code.toLowerCase();
}
