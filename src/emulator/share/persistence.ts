/**
 * Optional persistence of the emulator's account data to one JSON file (DESIGN §9), so a demo or a
 * long test keeps its readings, receiver assignment and followers across restarts.
 *
 * Kept: per account (matched by region and name) the assigned serial, the monitoring flag,
 * readings, contacts and runtime info. Not kept: passwords (they come from the command line every
 * time), sessions (clients log in again, as after a real server restart), failed-login counters.
 * Writes are atomic (temp file, fsync, rename); a corrupt file is set aside, never crashes start-up.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import type { Logger } from "../../log.js";
import { isShareRegion } from "../../share/regions.js";
import { isUuid } from "../../share/uuid.js";
import type { AccountRecord, ContactRecord, EmulatorState, StoredEgv } from "./model.js";

const VERSION = 1;
/** A state file larger than this is not ours. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

interface PersistedAccount {
  region: string;
  name: string;
  assignedSerial: string | null;
  monitoring: { active: boolean; startedMs: number };
  egvs: StoredEgv[];
  contacts: ContactRecord[];
  runtimeInfo: Record<string, string> | null;
}

function snapshot(account: AccountRecord): PersistedAccount {
  return {
    region: account.region,
    name: account.name,
    assignedSerial: account.assignedSerial ?? null,
    monitoring: account.monitoring,
    egvs: account.egvs,
    contacts: account.contacts,
    runtimeInfo: account.runtimeInfo ?? null,
  };
}

export function saveState(path: string, state: EmulatorState): void {
  const text = JSON.stringify({ version: VERSION, accounts: state.accounts.map(snapshot) });
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

function validEgv(v: unknown): v is StoredEgv {
  return (
    isObject(v) &&
    typeof v["key"] === "string" &&
    typeof v["sn"] === "string" &&
    isInt(v["stMs"]) &&
    isInt(v["wtMs"]) &&
    isInt(v["dtOffsetMinutes"]) &&
    isInt(v["value"]) &&
    isInt(v["trend"])
  );
}

function validContact(v: unknown): v is ContactRecord {
  if (!isObject(v)) return false;
  const s = v["subscription"];
  const subscriptionOk =
    s === undefined ||
    s === null ||
    (isObject(s) &&
      isUuid(s["subscriptionId"]) &&
      isUuid(s["subscriberId"]) &&
      isInt(s["state"]) &&
      isInt(s["permissions"]) &&
      typeof s["displayName"] === "string" &&
      isInt(s["inviteExpiresMs"]));
  return (
    isUuid(v["contactId"]) &&
    typeof v["name"] === "string" &&
    typeof v["email"] === "string" &&
    isInt(v["createdMs"]) &&
    isInt(v["modifiedMs"]) &&
    typeof v["deleted"] === "boolean" &&
    subscriptionOk
  );
}

/** Loads `path` into the accounts already in `state`; returns how many accounts were restored. */
export function loadState(path: string, state: EmulatorState, log: Logger): number {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    text = bytes.toString("utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    log.warn({ err: error, path }, "cannot read the emulator state file; starting empty");
    return 0;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const aside = `${path}.corrupt`;
    try {
      renameSync(path, aside);
      log.warn(
        { err: error, path, movedTo: aside },
        "the emulator state file is not JSON; set aside, starting empty",
      );
    } catch (renameError) {
      log.warn(
        { err: renameError, path },
        "the emulator state file is not JSON and cannot be set aside; starting empty",
      );
    }
    return 0;
  }
  if (!isObject(parsed) || parsed["version"] !== VERSION || !Array.isArray(parsed["accounts"])) {
    log.warn({ path }, "the emulator state file has an unknown version; starting empty");
    return 0;
  }
  let restored = 0;
  for (const raw of parsed["accounts"]) {
    if (!isObject(raw) || !isShareRegion(raw["region"]) || typeof raw["name"] !== "string") continue;
    const account = state.findByIdentity(raw["region"], raw["name"]);
    if (account === undefined || account.name !== raw["name"]) {
      log.warn(
        { account: raw["name"], region: raw["region"] },
        "state for an account not given on the command line; ignored",
      );
      continue;
    }
    const serial = raw["assignedSerial"];
    if (typeof serial === "string" && !state.serials.has(serial)) state.assign(account, serial);
    const monitoring = raw["monitoring"];
    if (isObject(monitoring) && typeof monitoring["active"] === "boolean" && isInt(monitoring["startedMs"])) {
      account.monitoring = { active: monitoring["active"], startedMs: monitoring["startedMs"] };
    }
    const egvs = Array.isArray(raw["egvs"]) ? raw["egvs"].filter(validEgv) : [];
    egvs.sort((a, b) => a.wtMs - b.wtMs);
    for (const egv of egvs) state.storeEgv(account, egv);
    account.contacts = Array.isArray(raw["contacts"])
      ? raw["contacts"].filter(validContact).map((c) => ({ ...c, subscription: c.subscription ?? undefined }))
      : [];
    const info = raw["runtimeInfo"];
    account.runtimeInfo = isObject(info)
      ? Object.fromEntries(
          Object.entries(info).filter((e): e is [string, string] => typeof e[1] === "string"),
        )
      : undefined;
    restored++;
  }
  return restored;
}
