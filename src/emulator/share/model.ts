/**
 * What the emulated Share service remembers (share-api §4, §14.2 "State"): accounts with their
 * monitored receiver, monitoring flag, followers, readings and runtime info; sessions; the global
 * serial → account registry; failed-login counters and locks.
 */
import { createHash, randomUUID } from "node:crypto";
import { fail } from "../../errors.js";
import { isShareRegion, SHARE_REGIONS, type ShareRegion } from "../../share/regions.js";

export interface EmulatorAccountInput {
  /** The legacy user name (or an e-mail / phone identity) the account logs in with. */
  readonly name: string;
  readonly password: string;
  readonly region?: ShareRegion;
  /** Other identities of the same account (e-mail, phone), accepted by AuthenticatePublisherAccount only. */
  readonly aliases?: readonly string[];
  readonly displayName?: string;
  readonly email?: string;
  /** Default: derived from region and name, so ids survive a restart without persistence. */
  readonly accountId?: string;
  /**
   * The account's slot already holds this receiver, as when the wearer's phone app uploads to the
   * account (share-api §18.3): `active` with a reading from it a minute before start, `silent` without.
   */
  readonly heldBy?: { readonly serial: string; readonly activity: "silent" | "active" };
}

export interface StoredEgv {
  /** The duplicate key (share-api §6.5): SN and the ST or WT second, per the duplicateKey knob. */
  readonly key: string;
  readonly sn: string;
  readonly stMs: number;
  readonly wtMs: number;
  /** Display offset for the read answer's DT suffix, minutes east of UTC. */
  readonly dtOffsetMinutes: number;
  readonly value: number;
  readonly trend: number;
}

export interface ContactRecord {
  readonly contactId: string;
  name: string;
  readonly email: string;
  readonly createdMs: number;
  modifiedMs: number;
  deleted: boolean;
  subscription:
    | {
        readonly subscriptionId: string;
        subscriberId: string;
        state: number;
        readonly permissions: number;
        readonly displayName: string;
        readonly inviteExpiresMs: number;
      }
    | undefined;
}

export interface AccountRecord {
  readonly region: ShareRegion;
  readonly name: string;
  readonly aliases: readonly string[];
  /** Mutable: the wearer may change it on the account portal (tests of a password change). */
  password: string;
  readonly accountId: string;
  readonly displayName: string;
  readonly email: string;
  assignedSerial: string | undefined;
  monitoring: { active: boolean; startedMs: number };
  failedLogins: number;
  lockedUntilMs: number;
  /** Sorted by WT ascending. */
  egvs: StoredEgv[];
  readonly egvKeys: Set<string>;
  contacts: ContactRecord[];
  runtimeInfo: Record<string, string> | undefined;
}

export interface SessionRecord {
  readonly sessionId: string;
  readonly accountId: string;
  readonly region: ShareRegion;
  readonly createdMs: number;
  lastUsedMs: number;
}

/** Readings kept per account; the oldest go first. 30 days of 5-minute readings is 8,640. */
export const MAX_STORED_EGVS = 20_000;

/** A stable UUID-shaped id from text (name-based, in the manner of a version-5 UUID). */
export function stableId(text: string): string {
  const hex = createHash("sha1").update(text).digest("hex");
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

export function newId(): string {
  return randomUUID();
}

const fold = (identity: string) => identity.trim().toLowerCase();

export class EmulatorState {
  readonly accounts: AccountRecord[] = [];
  readonly sessions = new Map<string, SessionRecord>();
  /** serial → account id; a serial belongs to at most one account (share-api §4). */
  readonly serials = new Map<string, string>();

  addAccount(input: EmulatorAccountInput): AccountRecord {
    const region = input.region ?? "us";
    if (!isShareRegion(region))
      fail("CONFIG_INVALID", `account region must be one of ${SHARE_REGIONS.join(", ")}`);
    if (input.name.trim() === "" || input.password === "") {
      fail("CONFIG_INVALID", "an emulated account needs a name and a password", { account: input.name });
    }
    for (const identity of [input.name, ...(input.aliases ?? [])]) {
      if (this.findByIdentity(region, identity) !== undefined) {
        fail("CONFIG_INVALID", `two emulated accounts share the identity ${identity} in region ${region}`);
      }
    }
    const account: AccountRecord = {
      region,
      name: input.name,
      aliases: [...(input.aliases ?? [])],
      password: input.password,
      accountId: (input.accountId ?? stableId(`${region}/${fold(input.name)}`)).toLowerCase(),
      displayName: input.displayName ?? input.name,
      email: input.email ?? (input.name.includes("@") ? input.name : `${input.name}@example.invalid`),
      assignedSerial: undefined,
      monitoring: { active: false, startedMs: 0 },
      failedLogins: 0,
      lockedUntilMs: 0,
      egvs: [],
      egvKeys: new Set(),
      contacts: [],
      runtimeInfo: undefined,
    };
    this.accounts.push(account);
    return account;
  }

  /** Finds an account by its name or an alias, case-insensitively; `region` undefined = any region. */
  findByIdentity(region: ShareRegion | undefined, identity: string): AccountRecord | undefined {
    const wanted = fold(identity);
    return this.accounts.find(
      (a) =>
        (region === undefined || a.region === region) &&
        (fold(a.name) === wanted || a.aliases.some((alias) => fold(alias) === wanted)),
    );
  }

  findById(region: ShareRegion | undefined, accountId: string): AccountRecord | undefined {
    const wanted = accountId.toLowerCase();
    return this.accounts.find((a) => (region === undefined || a.region === region) && a.accountId === wanted);
  }

  openSession(account: AccountRecord, now: number): SessionRecord {
    const session: SessionRecord = {
      sessionId: newId(),
      accountId: account.accountId,
      region: account.region,
      createdMs: now,
      lastUsedMs: now,
    };
    this.sessions.set(session.sessionId, session);
    return session;
  }

  /** Assigns `serial` to `account`, releasing the account's previous serial. */
  assign(account: AccountRecord, serial: string): void {
    if (account.assignedSerial !== undefined) this.serials.delete(account.assignedSerial);
    account.assignedSerial = serial;
    this.serials.set(serial, account.accountId);
  }

  /**
   * Another uploader's receiver holds the account's slot; with `lastReadingAtMs`, that uploader
   * posted a reading then (value 120, Flat), so reads show it as active.
   */
  holdSlot(account: AccountRecord, serial: string, lastReadingAtMs?: number): void {
    this.assign(account, serial);
    account.monitoring = { active: true, startedMs: lastReadingAtMs ?? 0 };
    if (lastReadingAtMs === undefined) return;
    const second = Math.floor(lastReadingAtMs / 1000);
    this.storeEgv(account, {
      key: `${serial}|${second}`,
      sn: serial,
      stMs: second * 1000,
      wtMs: second * 1000,
      dtOffsetMinutes: 0,
      value: 120,
      trend: 4,
    });
  }

  /** Stores a reading unless its key is already there; false for a duplicate. */
  storeEgv(account: AccountRecord, egv: StoredEgv): boolean {
    if (account.egvKeys.has(egv.key)) return false;
    account.egvKeys.add(egv.key);
    // Posts arrive mostly in order: insert from the end.
    let at = account.egvs.length;
    while (at > 0 && (account.egvs[at - 1]?.wtMs ?? 0) > egv.wtMs) at--;
    account.egvs.splice(at, 0, egv);
    if (account.egvs.length > MAX_STORED_EGVS) {
      const evicted = account.egvs.shift();
      if (evicted !== undefined) account.egvKeys.delete(evicted.key);
    }
    return true;
  }

  hasFollower(account: AccountRecord): boolean {
    return account.contacts.some((c) => !c.deleted && c.subscription !== undefined);
  }
}
