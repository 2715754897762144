/**
 * The sync state document (DESIGN.md §7), version 1, kept by `StateStore`:
 *
 *   {
 *     "version": 1,
 *     "receivers": {                       per receiver serial (upper case)
 *       "SM12345678": {
 *         "egvCursor": { "lastIndex", "lastSystemSeconds", "lastStSeconds" },   last EGV acknowledged
 *         "heldOffset": { "offsetSeconds", "sinceUtcMs" },                     the clock anchor (§5)
 *         "lastReading": { "index", "systemSeconds", "utcMs", "glucose", "trend" },
 *         "lastPostUtcMs": …
 *       }
 *     },
 *     "accounts": {                        per Share origin + account name
 *       "https://share2.dexcom.com alice": { "accountId", "login": { …breaker, "fingerprint" } }
 *     },
 *     "lastSerial": "SM12345678",
 *     "lastCycle": { "atMs", "outcome", "error" }
 *   }
 *
 * Nothing here is a secret: no password, no session id. Parsing is tolerant field by field: a field
 * that does not validate is dropped (and its consequence is safe — a dropped cursor means a bounded
 * backfill whose duplicates Share acknowledges, a dropped offset means a fresh measurement).
 */
import { isReceiverSerial } from "../records/serial.js";
import type { LoginBreakerState } from "../share/login-breaker.js";
import { type HeldOffset, parseHeldOffset } from "../time/held-offset.js";

export const STATE_VERSION = 1;

export interface EgvCursor {
  /** Highest EGV index whose fate is settled (posted and acknowledged, or never to be posted). */
  readonly lastIndex: number;
  /** SystemTime of that record, to notice an erased and refilled database (records/cursor.ts). */
  readonly lastSystemSeconds: number;
  /** ST of the newest acknowledged reading, epoch seconds; null before the first post. */
  readonly lastStSeconds: number | null;
}

export interface LastReading {
  readonly index: number;
  readonly systemSeconds: number;
  /** True time of the reading (WT), Unix ms. */
  readonly utcMs: number;
  readonly glucose: number;
  readonly trend: number;
}

export interface ReceiverState {
  readonly egvCursor?: EgvCursor | undefined;
  readonly heldOffset?: HeldOffset | undefined;
  readonly lastReading?: LastReading | undefined;
  readonly lastPostUtcMs?: number | undefined;
}

export type PersistedLogin = LoginBreakerState & {
  /** What the credentials looked like when this was recorded: a change lifts a refusal. */
  readonly fingerprint?: string | undefined;
  /** Set by `share login` after a successful login: lifts an earlier refusal. */
  readonly confirmedAtMs?: number | undefined;
};

export interface AccountState {
  readonly accountId?: string | undefined;
  readonly login?: PersistedLogin | undefined;
}

export interface LastCycle {
  readonly atMs: number;
  readonly outcome: string;
  readonly error?: string | undefined;
  /** Readings inside the backfill window not yet acknowledged by Share, after that cycle. */
  readonly backlog?: number | undefined;
}

export interface SyncState {
  readonly version: typeof STATE_VERSION;
  readonly receivers: Readonly<Record<string, ReceiverState>>;
  readonly accounts: Readonly<Record<string, AccountState>>;
  readonly lastSerial?: string | undefined;
  readonly lastCycle?: LastCycle | undefined;
}

export const emptyState = (): SyncState => ({ version: STATE_VERSION, receivers: {}, accounts: {} });

export const serialKey = (serial: string): string => serial.toUpperCase();
export const accountKey = (origin: string, username: string): string => `${origin} ${username}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isInt = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value);
const isNum = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

function parseCursor(value: unknown): EgvCursor | undefined {
  if (!isObject(value) || !isInt(value["lastIndex"]) || value["lastIndex"] < -1) return undefined;
  if (!isInt(value["lastSystemSeconds"])) return undefined;
  const st = value["lastStSeconds"];
  return {
    lastIndex: value["lastIndex"],
    lastSystemSeconds: value["lastSystemSeconds"],
    lastStSeconds: isInt(st) ? st : null,
  };
}

function parseLastReading(value: unknown): LastReading | undefined {
  if (!isObject(value)) return undefined;
  const { index, systemSeconds, utcMs, glucose, trend } = value;
  if (!isInt(index) || !isInt(systemSeconds) || !isNum(utcMs) || !isInt(glucose) || !isInt(trend))
    return undefined;
  return { index, systemSeconds, utcMs, glucose, trend };
}

function parseLogin(value: unknown): PersistedLogin | undefined {
  if (!isObject(value)) return undefined;
  const extra = {
    fingerprint: typeof value["fingerprint"] === "string" ? value["fingerprint"] : undefined,
    confirmedAtMs: isNum(value["confirmedAtMs"]) ? value["confirmedAtMs"] : undefined,
  };
  const reason = typeof value["reason"] === "string" ? value["reason"].slice(0, 200) : "unknown";
  switch (value["state"]) {
    case "closed":
      return { state: "closed", ...extra };
    case "credentials-rejected":
      return isNum(value["sinceMs"])
        ? { state: "credentials-rejected", sinceMs: value["sinceMs"], reason, ...extra }
        : undefined;
    case "locked-out":
      return isNum(value["sinceMs"]) && isNum(value["untilMs"])
        ? { state: "locked-out", sinceMs: value["sinceMs"], untilMs: value["untilMs"], reason, ...extra }
        : undefined;
    default:
      return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a state document tolerantly; throws only when it is not a version-1 document at all. */
export function parseState(document: unknown): SyncState {
  if (!isObject(document) || document["version"] !== STATE_VERSION) {
    throw new Error(`not a version ${STATE_VERSION} state document`);
  }
  const receivers: Record<string, ReceiverState> = {};
  if (isObject(document["receivers"])) {
    for (const [serial, raw] of Object.entries(document["receivers"])) {
      if (!isReceiverSerial(serial) || !isObject(raw)) continue;
      receivers[serialKey(serial)] = {
        egvCursor: parseCursor(raw["egvCursor"]),
        heldOffset: parseHeldOffset(raw["heldOffset"]),
        lastReading: parseLastReading(raw["lastReading"]),
        lastPostUtcMs: isNum(raw["lastPostUtcMs"]) ? raw["lastPostUtcMs"] : undefined,
      };
    }
  }
  const accounts: Record<string, AccountState> = {};
  if (isObject(document["accounts"])) {
    for (const [key, raw] of Object.entries(document["accounts"])) {
      if (key.length > 600 || !isObject(raw)) continue;
      const accountId = raw["accountId"];
      accounts[key] = {
        accountId: typeof accountId === "string" && UUID.test(accountId) ? accountId : undefined,
        login: parseLogin(raw["login"]),
      };
    }
  }
  const lastSerial = document["lastSerial"];
  const lastCycle = document["lastCycle"];
  return {
    version: STATE_VERSION,
    receivers,
    accounts,
    lastSerial: isReceiverSerial(lastSerial) ? lastSerial : undefined,
    lastCycle:
      isObject(lastCycle) && isNum(lastCycle["atMs"]) && typeof lastCycle["outcome"] === "string"
        ? {
            atMs: lastCycle["atMs"],
            outcome: lastCycle["outcome"].slice(0, 100),
            error: typeof lastCycle["error"] === "string" ? lastCycle["error"].slice(0, 300) : undefined,
            backlog: isInt(lastCycle["backlog"]) ? lastCycle["backlog"] : undefined,
          }
        : undefined,
  };
}

export const SYNC_STATE_SCHEMA = { parse: parseState, empty: emptyState };

/** Immutable update of one receiver's entry. */
export function withReceiver(
  state: SyncState,
  serial: string,
  change: (r: ReceiverState) => ReceiverState,
): SyncState {
  const key = serialKey(serial);
  return { ...state, receivers: { ...state.receivers, [key]: change(state.receivers[key] ?? {}) } };
}

/** Immutable update of one account's entry. */
export function withAccount(
  state: SyncState,
  key: string,
  change: (a: AccountState) => AccountState,
): SyncState {
  return { ...state, accounts: { ...state.accounts, [key]: change(state.accounts[key] ?? {}) } };
}
