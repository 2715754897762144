/**
 * The sync state document (DESIGN.md §7), version 2, kept by `StateStore`:
 *
 *   {
 *     "version": 2,
 *     "receivers": {                       per receiver serial (upper case, share-api §18.2)
 *       "SM12345678": {
 *         "heldOffset": { "offsetSeconds", "sinceUtcMs" },                     the clock anchor (§5)
 *         "lastReading": { "index", "systemSeconds", "utcMs", "glucose", "trend" },
 *         "sinks": {                       one entry per sink, each with its own cursors
 *           "share": {
 *             "cursors": { "egv": { "lastIndex", "lastSystemSeconds", "lastStSeconds" } },
 *             "lastDeliveredUtcMs": …      when the sink last acknowledged readings
 *           }
 *         }
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
 *
 * Version 1 (one `egvCursor` and `lastPostUtcMs` per receiver, before sinks had cursors of their own)
 * is migrated on load: its cursor becomes the Share sink's EGV cursor, so nothing is posted again.
 */
import { SharebridgeError } from "../errors.js";
import { isReceiverSerial } from "../records/serial.js";
import { type LoginBreakerState, parseLoginBreakerState } from "../share/login-breaker.js";
import { SHARE_SINK_NAME } from "../sinks/share-sink.js";
import { type HeldOffset, parseHeldOffset } from "../time/held-offset.js";
import { isUuid } from "../util/uuid.js";

export const STATE_VERSION = 2;

export interface EgvCursor {
  /** Highest record index whose fate is settled for the sink (delivered, or never to be delivered). */
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

/** The partitions a sink keeps a cursor for: EGV_DATA, and BACKFILLED_EGV_DATA where it exists. */
export const CURSOR_PARTITIONS = ["egv", "backfill"] as const;
export type CursorPartition = (typeof CURSOR_PARTITIONS)[number];

/** One sink's progress for one receiver. */
export interface SinkState {
  readonly cursors: Readonly<Partial<Record<CursorPartition, EgvCursor>>>;
  /** When the sink last acknowledged readings (true UTC, ms). */
  readonly lastDeliveredUtcMs?: number | undefined;
  /** The sink's own notes (plain JSON; the sink validates them, e.g. sinks/share-notes.ts). */
  readonly notes?: unknown;
}

/** A sink's notes are small: anything bigger is dropped on load (the sink starts without notes). */
export const MAX_SINK_NOTES_BYTES = 64 * 1024;

export interface ReceiverState {
  readonly heldOffset?: HeldOffset | undefined;
  readonly lastReading?: LastReading | undefined;
  readonly sinks?: Readonly<Record<string, SinkState>> | undefined;
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

/** A sink's state for a receiver (empty when it has none yet). */
export function sinkState(receiver: ReceiverState | undefined, sink: string): SinkState {
  return receiver?.sinks?.[sink] ?? { cursors: {} };
}

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

/** The breaker as the client wrote it (share/login-breaker.ts), with what the daemon adds to it. */
function parseLogin(value: unknown): PersistedLogin | undefined {
  const breaker = parseLoginBreakerState(value);
  if (breaker === undefined || !isObject(value)) return undefined;
  return {
    ...breaker,
    fingerprint: typeof value["fingerprint"] === "string" ? value["fingerprint"] : undefined,
    confirmedAtMs: isNum(value["confirmedAtMs"]) ? value["confirmedAtMs"] : undefined,
  };
}

/** Sink names are short identifiers chosen by the program, never free text. */
const SINK_NAME = /^[a-z][a-z0-9-]{0,31}$/;

function parseSinkState(value: unknown): SinkState | undefined {
  if (!isObject(value)) return undefined;
  const cursors: Partial<Record<CursorPartition, EgvCursor>> = {};
  const raw = isObject(value["cursors"]) ? value["cursors"] : {};
  for (const partition of CURSOR_PARTITIONS) {
    const cursor = parseCursor(raw[partition]);
    if (cursor !== undefined) cursors[partition] = cursor;
  }
  const delivered = value["lastDeliveredUtcMs"];
  const notes = value["notes"];
  const small = isObject(notes) && JSON.stringify(notes).length <= MAX_SINK_NOTES_BYTES;
  return {
    cursors,
    lastDeliveredUtcMs: isNum(delivered) ? delivered : undefined,
    notes: small ? notes : undefined,
  };
}

function parseReceiver(raw: Record<string, unknown>, version: number): ReceiverState {
  const sinks: Record<string, SinkState> = {};
  if (version === 1) {
    // Version 1 had one cursor, Share's: it becomes the Share sink's EGV cursor (nothing re-posted).
    const cursor = parseCursor(raw["egvCursor"]);
    const posted = raw["lastPostUtcMs"];
    sinks[SHARE_SINK_NAME] = {
      cursors: cursor === undefined ? {} : { egv: cursor },
      lastDeliveredUtcMs: isNum(posted) ? posted : undefined,
    };
  } else if (isObject(raw["sinks"])) {
    for (const [name, value] of Object.entries(raw["sinks"])) {
      const parsed = SINK_NAME.test(name) ? parseSinkState(value) : undefined;
      if (parsed !== undefined) sinks[name] = parsed;
    }
  }
  return {
    heldOffset: parseHeldOffset(raw["heldOffset"]),
    lastReading: parseLastReading(raw["lastReading"]),
    sinks,
  };
}

/**
 * Parses a state document tolerantly (migrating version 1); throws STATE_CORRUPT only when it is not
 * a state document of a known version at all.
 */
export function parseState(document: unknown): SyncState {
  const version = isObject(document) ? document["version"] : undefined;
  if (!isObject(document) || (version !== STATE_VERSION && version !== 1)) {
    throw new SharebridgeError("STATE_CORRUPT", `not a version ${STATE_VERSION} state document`, {
      version: typeof version === "number" ? version : typeof version,
    });
  }
  const receivers: Record<string, ReceiverState> = {};
  if (isObject(document["receivers"])) {
    for (const [serial, raw] of Object.entries(document["receivers"])) {
      if (!isReceiverSerial(serial) || !isObject(raw)) continue;
      // Keys written in another case by an older version fold into one (share-api §18.2).
      receivers[serialKey(serial)] = parseReceiver(raw, version);
    }
  }
  const accounts: Record<string, AccountState> = {};
  if (isObject(document["accounts"])) {
    for (const [key, raw] of Object.entries(document["accounts"])) {
      if (key.length > 600 || !isObject(raw)) continue;
      const accountId = raw["accountId"];
      accounts[key] = {
        accountId: isUuid(accountId) ? accountId : undefined,
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

/** The state with a cycle's record (what `status` shows as the last cycle). */
export function withLastCycle(state: SyncState, lastCycle: LastCycle): SyncState {
  return { ...state, lastCycle };
}

/** Immutable update of one sink's state for a receiver. */
export function withSink(
  state: SyncState,
  serial: string,
  sink: string,
  change: (s: SinkState) => SinkState,
): SyncState {
  return withReceiver(state, serial, (r) => ({
    ...r,
    sinks: { ...r.sinks, [sink]: change(sinkState(r, sink)) },
  }));
}

/** Immutable update of one account's entry. */
export function withAccount(
  state: SyncState,
  key: string,
  change: (a: AccountState) => AccountState,
): SyncState {
  return { ...state, accounts: { ...state.accounts, [key]: change(state.accounts[key] ?? {}) } };
}
