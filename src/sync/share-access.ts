/**
 * The daemon's hold on the Share account: the client, the credentials it was built from, and the
 * memory of a refusal across restarts (DESIGN.md §6; share-api §3.4, §14.1). It does not know where
 * the password comes from: the composition root hands it a credentials provider.
 *
 * A refused password must produce exactly one login request, however long the daemon runs, and no
 * further one until the operator acts. So the client's login breaker is persisted per account with a
 * fingerprint of the credentials' source (Share origin, account name, password file path, size and
 * modification time: nothing derived from the password itself). At start and then every cycle while
 * logins are refused, the fingerprint is compared: when the operator edits the password file or the
 * configuration, or `share login` records a successful login in the state file, the refusal is lifted
 * and the client is rebuilt with the new password.
 */
import { dirname } from "node:path";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { ShareClient } from "../share/client.js";
import type { CredentialsProvider, ShareCredentials } from "../share/credentials.js";
import type { LoginBreakerState } from "../share/login-breaker.js";
import type { ShareRetry } from "../share/settings.js";
import { loginConfirmedAtMs } from "./login-confirmations.js";
import { accountKey, type PersistedLogin, type SyncState, withAccount } from "./state.js";
import type { StateStore } from "./state-store.js";

/** The daemon retries briefly inside a call and backs off itself between cycles (so it can say why). */
export const DAEMON_SHARE_RETRY: ShareRetry = { retries: 2, minDelayMs: 5_000, maxDelayMs: 30_000 };

export interface ShareAccessOptions {
  /** Reads the credentials afresh (the composition root resolves the password file). */
  readonly credentials: CredentialsProvider;
  readonly store: StateStore<SyncState>;
  readonly log: Logger;
  readonly clock: Clock;
}

type Credentials = ShareCredentials;

/** A persisted refusal still applies when nothing changed since and nobody confirmed a login. */
function stillApplies(saved: PersistedLogin | undefined, fingerprint: string): LoginBreakerState | undefined {
  if (saved === undefined || saved.state === "closed") return undefined;
  if (saved.state === "credentials-rejected") {
    if (saved.fingerprint !== fingerprint) return undefined;
    if (saved.confirmedAtMs !== undefined && saved.confirmedAtMs > saved.sinceMs) return undefined;
  }
  const { fingerprint: _f, confirmedAtMs: _c, ...state } = saved;
  return state as LoginBreakerState;
}

export class ShareAccess {
  readonly #options: ShareAccessOptions;
  #credentials: Credentials;
  #client: ShareClient;
  #persisted: string;

  private constructor(options: ShareAccessOptions, credentials: Credentials) {
    this.#options = options;
    this.#credentials = credentials;
    this.#client = this.#build(credentials);
    this.#persisted = JSON.stringify(this.#record());
  }

  static async create(options: ShareAccessOptions): Promise<ShareAccess> {
    return new ShareAccess(options, await options.credentials());
  }

  get client(): ShareClient {
    return this.#client;
  }

  get key(): string {
    return accountKey(this.#credentials.settings.origin, this.#credentials.settings.username);
  }

  get loginState(): LoginBreakerState {
    return this.#client.loginState;
  }

  #build(credentials: Credentials): ShareClient {
    const key = accountKey(credentials.settings.origin, credentials.settings.username);
    const saved = this.#options.store.current.accounts[key];
    const loginState = stillApplies(saved?.login, credentials.fingerprint);
    if (saved?.login !== undefined && saved.login.state !== "closed" && loginState === undefined) {
      this.#options.log.info("the Share credentials changed since logins were refused; logging in again");
    }
    return new ShareClient({
      settings: credentials.settings,
      log: this.#options.log,
      clock: this.#options.clock,
      knownAccountId: saved?.accountId,
      loginState,
    });
  }

  #record(): { accountId: string | undefined; login: PersistedLogin } {
    return {
      accountId: this.#client.accountId,
      login: { ...this.#client.loginState, fingerprint: this.#credentials.fingerprint },
    };
  }

  /** Saves the account id and the login breaker when they changed. */
  async persist(): Promise<void> {
    const record = this.#record();
    const text = JSON.stringify(record);
    if (text === this.#persisted) return;
    await this.#options.store.update((state) => withAccount(state, this.key, () => record));
    this.#persisted = text;
  }

  /**
   * While logins are refused: has the operator acted (password file or configuration changed, or a
   * `share login` confirmed in the state file)? If so the client is rebuilt and true is returned.
   */
  async operatorActed(): Promise<boolean> {
    const current = this.#client.loginState;
    if (current.state !== "credentials-rejected") return false;
    let fresh: Credentials;
    try {
      fresh = await this.#options.credentials();
    } catch (error) {
      this.#options.log.debug({ err: error }, "credentials still unreadable");
      return false;
    }
    const confirmed = await this.#confirmedOnDisk(current.sinceMs);
    if (fresh.fingerprint === this.#credentials.fingerprint && !confirmed) return false;
    await this.#client.close();
    this.#credentials = fresh;
    this.#client = new ShareClient({
      settings: fresh.settings,
      log: this.#options.log,
      clock: this.#options.clock,
      knownAccountId: undefined,
    });
    this.#options.log.info(
      confirmed
        ? "a Share login was confirmed by the operator"
        : "the Share credentials changed; logging in again",
    );
    await this.persist();
    return true;
  }

  /** Has `share login` confirmed a login for this account since the refusal? (login-confirmations.ts) */
  async #confirmedOnDisk(sinceMs: number): Promise<boolean> {
    const confirmedAtMs = await loginConfirmedAtMs(dirname(this.#options.store.file), this.key);
    return confirmedAtMs !== undefined && confirmedAtMs > sinceMs;
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
