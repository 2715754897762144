/**
 * Every behaviour switch of the Share emulator (share-api §14.2, §18), with the default that matches
 * the real service as far as it is known. Unknown upstream values (lockout threshold and duration,
 * future tolerance) get the spec's working assumption; where the real server's strictness is
 * unknown (trends 8 and 9, the case of serials), the default is the strict one, so that a client
 * that passes the tests passes the real service too.
 */
import { fail } from "../../errors.js";

export interface ShareEmulatorKnobs {
  /** An account logs in only on its own region's listener (share-api §1.1). */
  readonly regionSeparation: boolean;
  /** Only the region's own application id is accepted (default: both known ids everywhere, share-api §1.2). */
  readonly strictApplicationId: boolean;
  /** LoginPublisherAccountByName: null UUID for failures (modern) or the pre-2020 SSO faults (share-api §3.1). */
  readonly byNameStyle: "modern" | "legacy-faults";
  /** Bad credentials: AccountPasswordInvalid (modern) or SSO_AuthenticateAccountNotFound / ...PasswordInvalid. */
  readonly credentialFaultStyle: "modern" | "sso";
  readonly lockout: {
    /** Consecutive failed logins that lock the account. */
    readonly attempts: number;
    readonly ms: number;
    /** The official enum's typo (Exceeed) or the corrected spelling (share-api §15 #4). */
    readonly codeSpelling: "Exceeed" | "Exceeded";
  };
  /** Absolute session lifetime (share-api §3.3: about 24 h). */
  readonly sessionTtlMs: number;
  /** Idle lifetime; null for none. */
  readonly idleTtlMs: number | null;
  /** Replace with the serial the account already has: 500 SerialNumberAssignedToYou, or 200. */
  readonly replaceSameSerial: "fault" | "ok";
  /** The monitoring session lapses this long after Start; null for never (share-api §15 #21). */
  readonly monitoringTtlMs: number | null;
  /** Readings whose WT is later than now + this are dropped with FutureEgvPosted (share-api §6.5). */
  readonly futureToleranceMs: number;
  /** What makes a reading a duplicate: (SN, ST second) or (SN, WT second). */
  readonly duplicateKey: "st" | "wt";
  /** WT = ST + taSign × TA × 1000 (share-api §6.3, §15 #1). */
  readonly taSign: 1 | -1;
  /** Read answers: `Date(ms)` without slashes (since late 2021) or `/Date(ms)/` (share-api §7.2). */
  readonly dateStyle: "modern" | "legacy";
  /** Read answers: trend names (since Dec 2021) or ordinals. */
  readonly trendStyle: "name" | "number";
  /** Reads answer [] unless the account has a follower (share-api §4, §15 #14). */
  readonly requireFollowerForRead: boolean;
  /** DT's offset on output: from the posted DT − ST, or the fixed value below. */
  readonly dtOffsetSource: "posted" | "fixed";
  readonly fixedDtOffsetMinutes: number;
  /** SubCode as the XML-like element (≤ mid 2025) or the JSON text (late 2025) (share-api §9.2). */
  readonly subCodeStyle: "xml" | "json";
  /** Trends a post may carry: the official enum's 0..7 (strict, share-api §18.1) or 0..9. */
  readonly trendRange: "0-7" | "0-9";
  /** Serials compared exactly (strict, share-api §18.2) or ignoring case. */
  readonly serialMatch: "exact" | "ignore-case";
  readonly faults: {
    /** 503 with a non-JSON body from `afterMs` after start for `durationMs`; null for none. */
    readonly outage: { readonly afterMs: number; readonly durationMs: number } | null;
    /** Probability that a call with a good session answers SessionNotValid anyway. */
    readonly sessionNotValidRate: number;
    /** Delay before each answer, ms… */
    readonly latencyMs: number;
    /** …plus or minus up to this, uniformly, from the seeded generator. */
    readonly latencyJitterMs: number;
    /** 429 or 503 (non-JSON) with an optional Retry-After, from `afterMs` after start for `durationMs`. */
    readonly throttle: {
      readonly status: 429 | 503;
      readonly retryAfterSeconds: number | null;
      readonly afterMs: number;
      readonly durationMs: number;
    } | null;
    /** Every answer's body arrives one byte per `intervalMs`, after `paddingBytes` of leading spaces. */
    readonly trickle: { readonly intervalMs: number; readonly paddingBytes: number } | null;
    /** Login operations answer normally, HTTP 401 or 403 (text), or HTTP 200 with a string that is no id. */
    readonly loginAnswer: "normal" | "http-401" | "http-403" | "garbage";
    /** Faults (the envelope) with HTTP 200 instead of 500: a "success" that is not one (share-api §18.6). */
    readonly faultsWithStatus200: boolean;
    /** A body on void successes instead of the empty one, e.g. `"OK"` (share-api §18.6). */
    readonly voidSuccessBody: string | null;
    /** Posts holding a reading with one of these values, or one of these ST (epoch ms), are refused with InvalidArgument and nothing is stored. */
    readonly refuse: { readonly values: readonly number[]; readonly stMs: readonly number[] };
    /** Server, CF-RAY, x-trace-id, HSTS, Cache-Control and a _cfuvid cookie, like the real front end. */
    readonly cloudflareHeaders: boolean;
    /** Seed of the generator behind sessionNotValidRate, so runs repeat. */
    readonly seed: number;
  };
}

export type ShareEmulatorKnobsInput = Partial<Omit<ShareEmulatorKnobs, "lockout" | "faults">> & {
  readonly lockout?: Partial<ShareEmulatorKnobs["lockout"]>;
  readonly faults?: Partial<ShareEmulatorKnobs["faults"]>;
};

const MINUTE = 60_000;

export const DEFAULT_KNOBS: ShareEmulatorKnobs = {
  regionSeparation: true,
  strictApplicationId: false,
  byNameStyle: "modern",
  credentialFaultStyle: "modern",
  lockout: { attempts: 5, ms: 15 * MINUTE, codeSpelling: "Exceeed" },
  sessionTtlMs: 24 * 60 * MINUTE,
  idleTtlMs: null,
  replaceSameSerial: "fault",
  monitoringTtlMs: null,
  futureToleranceMs: 5 * MINUTE,
  duplicateKey: "st",
  taSign: 1,
  dateStyle: "modern",
  trendStyle: "name",
  requireFollowerForRead: false,
  dtOffsetSource: "posted",
  fixedDtOffsetMinutes: 0,
  subCodeStyle: "xml",
  trendRange: "0-7",
  serialMatch: "exact",
  faults: {
    outage: null,
    sessionNotValidRate: 0,
    latencyMs: 0,
    latencyJitterMs: 0,
    throttle: null,
    trickle: null,
    loginAnswer: "normal",
    faultsWithStatus200: false,
    voidSuccessBody: null,
    refuse: { values: [], stMs: [] },
    cloudflareHeaders: false,
    seed: 1,
  },
};

function oneOf<T extends string | number>(key: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value))
    fail("CONFIG_INVALID", `${key} must be one of ${allowed.join(", ")}`, { key });
  return value;
}

function nonNegative(key: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isFinite(value) || value < 0 || value > max) {
    fail("CONFIG_INVALID", `${key} must be a number in [0, ${max}]`, { key });
  }
  return value;
}

/** Merges `input` over the defaults (or over `base`) and validates every value. */
export function resolveKnobs(
  input: ShareEmulatorKnobsInput = {},
  base: ShareEmulatorKnobs = DEFAULT_KNOBS,
): ShareEmulatorKnobs {
  const k: ShareEmulatorKnobs = {
    ...base,
    ...input,
    lockout: { ...base.lockout, ...input.lockout },
    faults: { ...base.faults, ...input.faults },
  };
  oneOf("byNameStyle", k.byNameStyle, ["modern", "legacy-faults"]);
  oneOf("credentialFaultStyle", k.credentialFaultStyle, ["modern", "sso"]);
  oneOf("lockout.codeSpelling", k.lockout.codeSpelling, ["Exceeed", "Exceeded"]);
  oneOf("replaceSameSerial", k.replaceSameSerial, ["fault", "ok"]);
  oneOf("duplicateKey", k.duplicateKey, ["st", "wt"]);
  oneOf("taSign", k.taSign, [1, -1]);
  oneOf("dateStyle", k.dateStyle, ["modern", "legacy"]);
  oneOf("trendStyle", k.trendStyle, ["name", "number"]);
  oneOf("dtOffsetSource", k.dtOffsetSource, ["posted", "fixed"]);
  oneOf("subCodeStyle", k.subCodeStyle, ["xml", "json"]);
  oneOf("trendRange", k.trendRange, ["0-7", "0-9"]);
  oneOf("serialMatch", k.serialMatch, ["exact", "ignore-case"]);
  oneOf("faults.loginAnswer", k.faults.loginAnswer, ["normal", "http-401", "http-403", "garbage"]);
  if (!Number.isInteger(k.lockout.attempts) || k.lockout.attempts < 1) {
    fail("CONFIG_INVALID", "lockout.attempts must be a positive integer", { key: "lockout.attempts" });
  }
  nonNegative("lockout.ms", k.lockout.ms);
  nonNegative("sessionTtlMs", k.sessionTtlMs);
  if (k.idleTtlMs !== null) nonNegative("idleTtlMs", k.idleTtlMs);
  if (k.monitoringTtlMs !== null) nonNegative("monitoringTtlMs", k.monitoringTtlMs);
  nonNegative("futureToleranceMs", k.futureToleranceMs);
  if (!Number.isInteger(k.fixedDtOffsetMinutes) || Math.abs(k.fixedDtOffsetMinutes) > 14 * 60) {
    fail("CONFIG_INVALID", "fixedDtOffsetMinutes must be whole minutes within ±14 h", {
      key: "fixedDtOffsetMinutes",
    });
  }
  nonNegative("faults.sessionNotValidRate", k.faults.sessionNotValidRate, 1);
  nonNegative("faults.latencyMs", k.faults.latencyMs, 600_000);
  nonNegative("faults.latencyJitterMs", k.faults.latencyJitterMs, k.faults.latencyMs);
  if (k.faults.throttle !== null) {
    oneOf("faults.throttle.status", k.faults.throttle.status, [429, 503]);
    if (k.faults.throttle.retryAfterSeconds !== null) {
      nonNegative("faults.throttle.retryAfterSeconds", k.faults.throttle.retryAfterSeconds, 86_400);
    }
    nonNegative("faults.throttle.afterMs", k.faults.throttle.afterMs);
    nonNegative("faults.throttle.durationMs", k.faults.throttle.durationMs);
  }
  if (k.faults.trickle !== null) {
    nonNegative("faults.trickle.intervalMs", k.faults.trickle.intervalMs, 600_000);
    nonNegative("faults.trickle.paddingBytes", k.faults.trickle.paddingBytes, 1_000_000);
  }
  if (k.faults.voidSuccessBody !== null && k.faults.voidSuccessBody.length > 10_000) {
    fail("CONFIG_INVALID", "faults.voidSuccessBody must be at most 10000 characters", {
      key: "faults.voidSuccessBody",
    });
  }
  if (k.faults.outage !== null) {
    nonNegative("faults.outage.afterMs", k.faults.outage.afterMs);
    nonNegative("faults.outage.durationMs", k.faults.outage.durationMs);
  }
  return Object.freeze(k);
}
