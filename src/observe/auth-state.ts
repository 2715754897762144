/**
 * The Share login state as the state file remembers it (the login breaker, src/share/login-breaker.ts;
 * share-api §3.4), in the terms `status` and `doctor` show it: ok, credentials refused since …,
 * locked out until …. Read-only: neither command changes the daemon's breaker.
 */
import type { Config } from "../config/schema.js";
import { REGION_ENDPOINTS } from "../share/regions.js";
import { parseServerUrl } from "../share/server-url.js";
import { type AccountState, accountKey, type SyncState } from "../sync/state.js";
import { ageInWords, utcInWords } from "./words.js";

export type AuthState =
  /** No account is configured (no username, or neither region nor server). */
  | "not-configured"
  /** Configured, but the state file has no trace of a login yet. */
  | "never-logged-in"
  | "ok"
  /** Share refused the credentials; no login until the operator acts. */
  | "credentials-rejected"
  /** Share locked the account; no login before `untilMs`. */
  | "locked-out"
  /** A lockout whose time has passed: the next login is allowed. */
  | "lockout-over";

export interface AuthSummary {
  readonly state: AuthState;
  /** The account name, when known (not a secret). */
  readonly account: string | null;
  /** The Share origin the account lives on. */
  readonly origin: string | null;
  readonly sinceMs: number | null;
  readonly untilMs: number | null;
  /** The Share code behind a refusal or lockout. */
  readonly reason: string | null;
}

/** The Share origin the configuration names, or undefined when it names none. Throws on a bad URL. */
export function configuredOrigin(config: Config): string | undefined {
  const { region, server } = config.share;
  if (server !== undefined) return parseServerUrl(server);
  if (region !== undefined && region in REGION_ENDPOINTS) {
    return REGION_ENDPOINTS[region as keyof typeof REGION_ENDPOINTS].origin;
  }
  return undefined;
}

/** The state file's entry for the configured account, or the only one there when none is configured. */
export function findAccount(
  config: Config,
  state: SyncState | undefined,
): { origin: string; account: string; entry: AccountState | undefined } | undefined {
  const origin = configuredOrigin(config);
  const username = config.share.username;
  if (origin !== undefined && username !== undefined) {
    return { origin, account: username, entry: state?.accounts[accountKey(origin, username)] };
  }
  const keys = Object.keys(state?.accounts ?? {});
  const only = keys.length === 1 ? keys[0] : undefined;
  if (only === undefined) return undefined;
  const space = only.indexOf(" ");
  if (space <= 0) return undefined;
  return { origin: only.slice(0, space), account: only.slice(space + 1), entry: state?.accounts[only] };
}

export function summarizeAuth(config: Config, state: SyncState | undefined, nowMs: number): AuthSummary {
  const found = findAccount(config, state);
  const none = { sinceMs: null, untilMs: null, reason: null };
  if (found === undefined) return { state: "not-configured", account: null, origin: null, ...none };
  const { origin, account, entry } = found;
  const login = entry?.login;
  const base = { account, origin };
  if (login === undefined) {
    return { state: entry?.accountId === undefined ? "never-logged-in" : "ok", ...base, ...none };
  }
  switch (login.state) {
    case "closed":
      return { state: "ok", ...base, ...none };
    case "credentials-rejected":
      // `share login` succeeding after the refusal lifts it (state.ts PersistedLogin.confirmedAtMs).
      if (login.confirmedAtMs !== undefined && login.confirmedAtMs > login.sinceMs) {
        return { state: "ok", ...base, ...none };
      }
      return {
        state: "credentials-rejected",
        ...base,
        sinceMs: login.sinceMs,
        untilMs: null,
        reason: login.reason,
      };
    case "locked-out":
      return {
        state: nowMs < login.untilMs ? "locked-out" : "lockout-over",
        ...base,
        sinceMs: login.sinceMs,
        untilMs: login.untilMs,
        reason: login.reason,
      };
  }
}

/** One line for people: "ok (alice on https://share2.dexcom.com)", "locked out until … (in 25 min)". */
export function authInWords(auth: AuthSummary, nowMs: number): string {
  const who = auth.account === null ? "" : ` (${auth.account} on ${auth.origin})`;
  const reason = auth.reason === null ? "" : `, ${auth.reason}`;
  switch (auth.state) {
    case "not-configured":
      return "no Share account configured";
    case "never-logged-in":
      return `no login yet${who}`;
    case "ok":
      return `ok${who}`;
    case "credentials-rejected": {
      const since = auth.sinceMs ?? nowMs;
      return `credentials refused since ${utcInWords(since)} (${ageInWords(since, nowMs)}${reason})${who}`;
    }
    case "locked-out": {
      const until = auth.untilMs ?? nowMs;
      return `locked out until ${utcInWords(until)} (${ageInWords(until, nowMs)}${reason})${who}`;
    }
    case "lockout-over": {
      const until = auth.untilMs ?? nowMs;
      return `lockout ended ${ageInWords(until, nowMs)}; the next login is allowed${who}`;
    }
  }
}
