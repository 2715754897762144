/**
 * What the Share client needs to know, validated once (DESIGN §6, §8).
 *
 * `createShareSettings` is the only place that decides defaults and ranges; the command-line flags
 * (`shareSettingsFromFlags`) and, later, the configuration file both go through it, so an invalid
 * value is refused the same way whatever its source, with the key named in the message.
 */
import { fail } from "../errors.js";
import { readOneLineFile } from "../util/one-line-file.js";
import { REGION_ENDPOINTS, SHARE_REGIONS, type ShareRegion } from "./regions.js";
import { Secret } from "./secret.js";
import { parseServerUrl } from "./server-url.js";
import { isUsableId } from "./uuid.js";

export interface ShareTimeouts {
  /** TCP + TLS connect, ms. */
  readonly connectMs: number;
  /** From request sent to response headers, ms (undici's default of 300 s is far too long here). */
  readonly headersMs: number;
  /** Longest silence while reading a response body, ms. */
  readonly bodyMs: number;
}

/** Back-off for transport failures, non-JSON 5xx and 503 (share-api §14.1 item 6). */
export interface ShareRetry {
  /** Retries after the first attempt of one request; 0 disables retrying. */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Whether the client may take the account's monitored-receiver slot from a different serial
 * (share-api §18.3):
 * - `auto`: only when the slot is silent (no reading on the account in the last 15 minutes);
 *   when another uploader posted within them, stop with SHARE_ASSIGNMENT naming this setting;
 * - `always`: replace whatever the slot holds (two uploaders then fight over it);
 * - `never`: stop with SHARE_ASSIGNMENT.
 * `true` and `false` (the older boolean setting) mean `always` and `never`.
 */
export const REPLACE_RECEIVER_SETTINGS = ["auto", "always", "never"] as const;
export type ReplaceReceiverSetting = (typeof REPLACE_RECEIVER_SETTINGS)[number];

export interface ShareSettings {
  /** A Dexcom region, or "custom" when `origin` came from a server URL (the emulator). */
  readonly region: ShareRegion | "custom";
  /** `https://share2.dexcom.com` and the like; no path. */
  readonly origin: string;
  readonly applicationId: string;
  readonly username: string;
  readonly password: Secret;
  /** Whether the client may take the account's monitored-receiver slot from a different serial. */
  readonly replaceReceiver: ReplaceReceiverSetting;
  readonly timeouts: ShareTimeouts;
  /**
   * Overall deadline of one Share request, ms (default 60 s): from sending it to the last byte of
   * the answer, however slowly the bytes come. The timeouts above only measure silences.
   */
  readonly requestDeadlineMs: number;
  readonly retry: ShareRetry;
  /** How long no login is attempted after a lockout answer; at least 30 min (share-api §14.1 item 6). */
  readonly lockoutMs: number;
}

export interface ShareSettingsInput {
  /** Validated by the configuration (src/config/schema.ts), like `username`: not checked again here. */
  region?: ShareRegion | undefined;
  server?: string | undefined;
  username?: string | undefined;
  password?: string | Secret | undefined;
  /** Overrides the region's application id (share-api §18.9). */
  applicationId?: string | undefined;
  replaceReceiver?: ReplaceReceiverSetting | boolean | undefined;
  timeouts?: Partial<ShareTimeouts> | undefined;
  requestDeadlineMs?: number | undefined;
  retry?: Partial<ShareRetry> | undefined;
  lockoutMs?: number | undefined;
}

const MINUTE_MS = 60_000;
export const MIN_LOCKOUT_MS = 30 * MINUTE_MS;

export const DEFAULT_TIMEOUTS: ShareTimeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 };
/** A whole request, however slowly its answer trickles in (share-api §18; issue: a trickling reply held a cycle). */
export const DEFAULT_REQUEST_DEADLINE_MS = 60_000;
/** 30 s doubling to 10 min with jitter (share-api §14.1 item 6); 8 retries span roughly 45 to 90 min. */
export const DEFAULT_RETRY: ShareRetry = { retries: 8, minDelayMs: 30_000, maxDelayMs: 10 * MINUTE_MS };
/** Interactive commands should answer in seconds, not wait out a long outage. */
export const INTERACTIVE_RETRY: ShareRetry = { retries: 2, minDelayMs: 1_000, maxDelayMs: 4_000 };

const MAX_PASSWORD_LENGTH = 256;

function integerIn(
  key: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    fail("CONFIG_INVALID", `${key} must be an integer in [${min}, ${max}], got ${String(v)}`, { key });
  }
  return v;
}

export function createShareSettings(input: ShareSettingsInput): ShareSettings {
  const hasRegion = input.region !== undefined;
  const hasServer = input.server !== undefined && input.server !== "";
  if (hasRegion === hasServer) {
    fail("CONFIG_INVALID", `give exactly one of share.region (${SHARE_REGIONS.join("|")}) or share.server`, {
      key: "share.region",
    });
  }
  let region: ShareRegion | "custom";
  let origin: string;
  let applicationId: string;
  if (input.region !== undefined) {
    region = input.region;
    origin = REGION_ENDPOINTS[region].origin;
    applicationId = REGION_ENDPOINTS[region].applicationId;
  } else {
    region = "custom";
    origin = parseServerUrl(input.server ?? "");
    applicationId = REGION_ENDPOINTS.us.applicationId;
  }
  if (input.applicationId !== undefined) {
    if (!isUsableId(input.applicationId)) {
      fail("CONFIG_INVALID", "share.applicationId must be a UUID", { key: "share.applicationId" });
    }
    applicationId = input.applicationId.toLowerCase();
  }

  const username = input.username ?? "";
  if (username === "") fail("CONFIG_INVALID", "share.username is required", { key: "share.username" });
  const passwordText = input.password instanceof Secret ? input.password.reveal() : (input.password ?? "");
  if (passwordText === "" || passwordText.length > MAX_PASSWORD_LENGTH) {
    fail("CONFIG_INVALID", `the Share password must be 1 to ${MAX_PASSWORD_LENGTH} characters`, {
      key: "share.password",
    });
  }

  const t = input.timeouts ?? {};
  const timeouts: ShareTimeouts = {
    connectMs: integerIn("share.timeouts.connectMs", t.connectMs, DEFAULT_TIMEOUTS.connectMs, 100, 600_000),
    headersMs: integerIn("share.timeouts.headersMs", t.headersMs, DEFAULT_TIMEOUTS.headersMs, 100, 3_600_000),
    bodyMs: integerIn("share.timeouts.bodyMs", t.bodyMs, DEFAULT_TIMEOUTS.bodyMs, 100, 3_600_000),
  };
  const requestDeadlineMs = integerIn(
    "share.requestDeadlineMs",
    input.requestDeadlineMs,
    DEFAULT_REQUEST_DEADLINE_MS,
    1_000,
    3_600_000,
  );
  const r = input.retry ?? {};
  const minDelayMs = integerIn(
    "share.retry.minDelayMs",
    r.minDelayMs,
    DEFAULT_RETRY.minDelayMs,
    0,
    3_600_000,
  );
  const retry: ShareRetry = {
    retries: integerIn("share.retry.retries", r.retries, DEFAULT_RETRY.retries, 0, 20),
    minDelayMs,
    maxDelayMs: integerIn(
      "share.retry.maxDelayMs",
      r.maxDelayMs,
      DEFAULT_RETRY.maxDelayMs,
      minDelayMs,
      3_600_000,
    ),
  };
  const lockoutMs = integerIn(
    "share.lockoutMs",
    input.lockoutMs,
    MIN_LOCKOUT_MS,
    MIN_LOCKOUT_MS,
    24 * 60 * MINUTE_MS,
  );

  return Object.freeze({
    region,
    origin,
    applicationId,
    username,
    password: input.password instanceof Secret ? input.password : new Secret(passwordText),
    replaceReceiver: replaceReceiverSetting(input.replaceReceiver),
    timeouts: Object.freeze(timeouts),
    requestDeadlineMs,
    retry: Object.freeze(retry),
    lockoutMs,
  });
}

/** The setting from its configured value; booleans are the older form (true: always, false: never). */
export function replaceReceiverSetting(value: unknown): ReplaceReceiverSetting {
  if (value === undefined) return "auto";
  if (value === true) return "always";
  if (value === false) return "never";
  if (typeof value === "string" && (REPLACE_RECEIVER_SETTINGS as readonly string[]).includes(value)) {
    return value as ReplaceReceiverSetting;
  }
  return fail(
    "CONFIG_INVALID",
    `share.replaceReceiver must be one of ${REPLACE_RECEIVER_SETTINGS.join(", ")}`,
    {
      key: "share.replaceReceiver",
    },
  );
}

/** Where the share commands' flags (and later the configuration file) say the settings come from. */
export interface ShareSettingsSources {
  region?: ShareRegion | undefined;
  server?: string | undefined;
  username?: string | undefined;
  passwordFile?: string | undefined;
  applicationId?: string | undefined;
  replaceReceiver?: ReplaceReceiverSetting | boolean | undefined;
  retry?: Partial<ShareRetry> | undefined;
  timeouts?: Partial<ShareTimeouts> | undefined;
  requestDeadlineMs?: number | undefined;
}

/** Reads the password file and builds validated settings: the one mapping from flags to settings. */
export async function shareSettingsFromSources(sources: ShareSettingsSources): Promise<ShareSettings> {
  if (sources.passwordFile === undefined || sources.passwordFile === "") {
    fail("CONFIG_INVALID", "a password file is required (--password-file FILE)", {
      key: "share.passwordFile",
    });
  }
  const password = await readPasswordFile(sources.passwordFile);
  return createShareSettings({
    region: sources.region,
    server: sources.server,
    username: sources.username,
    password,
    applicationId: sources.applicationId,
    replaceReceiver: sources.replaceReceiver,
    retry: sources.retry,
    timeouts: sources.timeouts,
    requestDeadlineMs: sources.requestDeadlineMs,
  });
}

/**
 * Reads a password file: the whole content minus one trailing newline (`\n` or `\r\n`, what `echo`
 * and editors add). Other whitespace is kept, because it may be part of the password.
 */
export async function readPasswordFile(path: string): Promise<Secret> {
  return new Secret(await readOneLineFile(path, "password file"));
}
