/**
 * Login and the session id (share-api §3.2, §3.3, §14.1 item 2).
 *
 * Two steps: `AuthenticatePublisherAccount` turns the account name into the account id, which never
 * changes and is kept; `LoginPublisherAccountById` turns it into a session id. A re-login after the
 * server drops a session therefore costs one request. The null UUID, any answer that is not a
 * UUID, and every credential code are authentication failures and trip the login breaker; a
 * lockout code trips it for the lockout time. Concurrent callers share one login in flight.
 */

import { isSharebridgeError, SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { faultKindOf } from "./fault.js";
import type { LoginBreaker } from "./login-breaker.js";
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
}

const AUTHENTICATE = "General/AuthenticatePublisherAccount";
const LOGIN_BY_ID = "General/LoginPublisherAccountById";

export class ShareSession {
  readonly #options: ShareSessionOptions;
  #accountId: string | undefined;
  #sessionId: string | undefined;
  #loginInFlight: Promise<string> | undefined;

  constructor(options: ShareSessionOptions) {
    this.#options = options;
    this.#accountId = isUsableId(options.knownAccountId) ? options.knownAccountId.toLowerCase() : undefined;
  }

  get accountId(): string | undefined {
    return this.#accountId;
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
      return sessionId;
    } catch (error) {
      this.#trip(error);
      throw error;
    }
  }

  /** A login step's answer must be a usable UUID (share-api §3.2 step 3). */
  #identifier(operation: string, answer: ShareAnswer): string {
    const value = answer.kind === "json" ? answer.value : undefined;
    if (isUsableId(value)) return value.toLowerCase();
    const reason = value === NULL_UUID ? "null-uuid" : "not-a-uuid";
    throw new SharebridgeError(
      "SHARE_CREDENTIALS",
      reason === "null-uuid"
        ? `Share answered ${operation} with the null id: the account name, password or region is wrong`
        : `Share answered ${operation} without an id: treated as refused credentials`,
      { operation, fault: "credentials", shareCode: reason },
    );
  }

  #trip(error: unknown): void {
    const { breaker, log } = this.#options;
    const kind = faultKindOf(error);
    if (kind !== "credentials" && kind !== "lockout") return;
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
