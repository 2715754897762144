/**
 * The daemon's hold on the Share account: the client, the credentials it was built from, and the
 * memory of a refusal across restarts (DESIGN.md §6; share-api §3.4, §14.1).
 *
 * A refused password must produce exactly one login request, however long the daemon runs, and no
 * further one until the operator acts. So the client's login breaker is persisted per account with a
 * fingerprint of the credentials' source (Share origin, account name, password file path, size and
 * modification time: nothing derived from the password itself). At start and then every cycle while
 * logins are refused, the fingerprint is compared: when the operator edits the password file or the
 * configuration, or `share login` records a successful login in the state file, the refusal is lifted
 * and the client is rebuilt with the new password.
 */
import { stat } from "node:fs/promises";
import { noPasswordError, resolvePasswordFile } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import { ShareClient } from "../share/client.js";
import type { LoginBreakerState } from "../share/login-breaker.js";
import {
  createShareSettings,
  readPasswordFile,
  type ShareRetry,
  type ShareSettings,
} from "../share/settings.js";
import { accountKey, type PersistedLogin, parseState, type SyncState, withAccount } from "./state.js";
import { readStateFile, type StateStore } from "./state-store.js";

/** The daemon retries briefly inside a call and backs off itself between cycles (so it can say why). */
export const DAEMON_SHARE_RETRY: ShareRetry = { retries: 2, minDelayMs: 5_000, maxDelayMs: 30_000 };

export interface ShareAccessOptions {
  readonly config: Config;
  readonly store: StateStore<SyncState>;
  readonly log: Logger;
  readonly now: () => number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly retry?: ShareRetry;
}

interface Credentials {
  readonly settings: ShareSettings;
  readonly fingerprint: string;
}

async function loadCredentials(options: ShareAccessOptions): Promise<Credentials> {
  const { config } = options;
  const source = await resolvePasswordFile(config, options.env ?? process.env);
  if (source === undefined) throw noPasswordError();
  const password = await readPasswordFile(source.path);
  const settings = createShareSettings({
    region: config.share.region,
    server: config.share.server,
    username: config.share.username,
    password,
    replaceReceiver: config.share.replaceReceiver === "always",
    applicationId: config.share.applicationId,
    retry: options.retry ?? DAEMON_SHARE_RETRY,
  });
  return {
    settings,
    fingerprint: await credentialFingerprint(settings.origin, settings.username, source.path),
  };
}

/**
 * The credentials' source, as compared across restarts and by `doctor`: origin, account name,
 * password file path, its size and modification time — nothing derived from the password itself.
 */
export async function credentialFingerprint(
  origin: string,
  username: string,
  passwordPath: string,
): Promise<string> {
  let file = "missing";
  try {
    const info = await stat(passwordPath);
    file = `${info.size}:${Math.trunc(info.mtimeMs)}`;
  } catch {
    // the file vanished: a change in itself
  }
  return `${origin} ${username} ${passwordPath} ${file}`;
}

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
    return new ShareAccess(options, await loadCredentials(options));
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
      clock: { now: this.#options.now },
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
      fresh = await loadCredentials(this.#options);
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
      clock: { now: this.#options.now },
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

  async #confirmedOnDisk(sinceMs: number): Promise<boolean> {
    const text = await readStateFile(this.#options.store.file);
    if (text === undefined) return false;
    try {
      const confirmedAtMs = parseState(JSON.parse(text)).accounts[this.key]?.login?.confirmedAtMs;
      return confirmedAtMs !== undefined && confirmedAtMs > sinceMs;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
