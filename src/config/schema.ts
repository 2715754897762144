/**
 * The configuration file (DESIGN.md §8): one JSON document, every key optional, every default here
 * with its unit and its reason. Validation names the key and the fix; unknown keys are refused (a
 * typo must not silently fall back to a default).
 *
 *   {
 *     "device": "auto",
 *     "stateDir": "/var/lib/sharebridge",
 *     "readingIntervalSeconds": 300,
 *     "backfillHours": 24,
 *     "clock": { "mode": "corrected", "assumeSynchronized": false },
 *     "share": { "region": "us", "username": "…", "passwordFile": "…", "replaceReceiver": false },
 *     "http": { "listen": null },
 *     "log": { "level": "info" }
 *   }
 */
import { SharebridgeError } from "../errors.js";
import { LOG_LEVELS, type LogLevel } from "../log.js";
import { SHARE_REGIONS } from "../share/regions.js";
import { TIME_MODES, type TimeMode } from "../time/share-times.js";

export interface ShareConfig {
  /** us | ous | jp; exactly one of region and server. */
  readonly region: string | undefined;
  /** A Share-compatible server (the emulator): scheme, host and port; plain http on loopback only. */
  readonly server: string | undefined;
  readonly username: string | undefined;
  /** A file holding the password on one line. Other sources: see load.ts. */
  readonly passwordFile: string | undefined;
  /** May sharebridge take the account's receiver slot from a different serial? Default false. */
  readonly replaceReceiver: boolean;
}

export interface Config {
  /** auto | a device path | tcp://HOST:PORT | emulate[:PROFILE]. Default auto. */
  readonly device: string;
  /** Where the state file lives. Default: $STATE_DIRECTORY (systemd) or ./state. */
  readonly stateDir: string;
  /** The receiver's reading cadence, seconds. Default 300: a Dexcom reading every 5 minutes. */
  readonly readingIntervalSeconds: number;
  /** How far back a first run or a long gap posts, hours. Default 24 (Share's useful window). */
  readonly backfillHours: number;
  readonly clock: {
    /** corrected | raw (DESIGN.md §5). Default corrected. */
    readonly mode: TimeMode;
    /** Trust the host clock without seeing NTP state (containers whose host keeps time). Default false. */
    readonly assumeSynchronized: boolean;
  };
  readonly share: ShareConfig;
  readonly http: {
    /** HOST:PORT of the health and metrics endpoint, or null for none. Default null. */
    readonly listen: string | null;
  };
  readonly log: { readonly level: LogLevel };
}

export const DEFAULTS = {
  device: "auto",
  stateDir: "./state",
  readingIntervalSeconds: 300,
  backfillHours: 24,
  clockMode: "corrected" as TimeMode,
} as const;

/** Range checks, with units. */
export const LIMITS = {
  readingIntervalSeconds: [1, 3600],
  /** Up to 90 days: a receiver holds about 30 (spec §4.6 observed ranges), touchscreens more. */
  backfillHours: [0, 2160],
} as const;

type Json = unknown;

function invalid(key: string, message: string, fix: string): never {
  throw new SharebridgeError("CONFIG_INVALID", `${key}: ${message}; ${fix}`, { key, fix });
}

function describe(value: Json): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

function objectAt(key: string, value: Json): Record<string, Json> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    invalid(key, `must be an object, got ${describe(value)}`, "write it as { … }");
  }
  return value as Record<string, Json>;
}

/** Levenshtein distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        current + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

function refuseUnknown(prefix: string, object: Record<string, Json>, known: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    // Compare with the whole key and with its start, so "pasword" finds "passwordFile".
    const near = (k: string) => Math.min(distance(key, k), distance(key, k.slice(0, key.length + 1)));
    const best = known.map((k) => [k, near(k)] as const).sort((x, y) => x[1] - y[1])[0];
    const hint =
      best !== undefined && best[1] <= Math.max(2, Math.floor(key.length / 3))
        ? `did you mean "${prefix}${best[0]}"?`
        : `known keys: ${known.map((k) => prefix + k).join(", ")}`;
    invalid(`${prefix}${key}`, "unknown key", hint);
  }
}

function stringAt(key: string, value: Json, fix: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "" || value.length > 4096) {
    invalid(key, `must be a non-empty string, got ${describe(value)}`, fix);
  }
  return value;
}

function booleanAt(key: string, value: Json): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean")
    invalid(key, `must be true or false, got ${describe(value)}`, "write true or false");
  return value;
}

function integerAt(key: string, value: Json, [min, max]: readonly [number, number]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    invalid(
      key,
      `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
      "change the number",
    );
  }
  return value;
}

function oneOf<T extends string>(key: string, value: Json, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    invalid(
      key,
      `must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`,
      `use one of ${allowed.join("|")}`,
    );
  }
  return value as T;
}

/** A config file's content, every key optional (absent = not set here). */
export interface ConfigLayer {
  device?: string | undefined;
  stateDir?: string | undefined;
  readingIntervalSeconds?: number | undefined;
  backfillHours?: number | undefined;
  clock?: { mode?: TimeMode | undefined; assumeSynchronized?: boolean | undefined };
  share?: Partial<Record<keyof ShareConfig, string | boolean | undefined>>;
  http?: { listen?: string | null | undefined };
  log?: { level?: LogLevel | undefined };
}

/** Validates a parsed configuration document into a layer. */
export function parseConfigDocument(document: Json): ConfigLayer {
  const root = { ...objectAt("(configuration)", document) };
  // Renamed keys keep working (units are spelled out in names since 0.2: Seconds, not S).
  if (root["readingIntervalS"] !== undefined && root["readingIntervalSeconds"] === undefined) {
    root["readingIntervalSeconds"] = root["readingIntervalS"];
    delete root["readingIntervalS"];
  }
  refuseUnknown("", root, [
    "device",
    "stateDir",
    "readingIntervalSeconds",
    "backfillHours",
    "clock",
    "share",
    "http",
    "log",
  ]);
  const layer: ConfigLayer = {
    device: stringAt("device", root["device"], "use auto, a device path or tcp://HOST:PORT"),
    stateDir: stringAt("stateDir", root["stateDir"], "give a directory path"),
    readingIntervalSeconds: integerAt(
      "readingIntervalSeconds",
      root["readingIntervalSeconds"],
      LIMITS.readingIntervalSeconds,
    ),
    backfillHours: integerAt("backfillHours", root["backfillHours"], LIMITS.backfillHours),
  };
  if (root["clock"] !== undefined) {
    const clock = objectAt("clock", root["clock"]);
    refuseUnknown("clock.", clock, ["mode", "assumeSynchronized"]);
    layer.clock = {
      mode: oneOf("clock.mode", clock["mode"], TIME_MODES),
      assumeSynchronized: booleanAt("clock.assumeSynchronized", clock["assumeSynchronized"]),
    };
  }
  if (root["share"] !== undefined) {
    const share = objectAt("share", root["share"]);
    if (share["password"] !== undefined) {
      invalid(
        "share.password",
        "passwords are not kept in the configuration",
        "put it in a file named by share.passwordFile",
      );
    }
    refuseUnknown("share.", share, ["region", "server", "username", "passwordFile", "replaceReceiver"]);
    layer.share = {
      region: oneOf("share.region", share["region"], SHARE_REGIONS),
      server: stringAt(
        "share.server",
        share["server"],
        "give scheme, host and port, e.g. http://127.0.0.1:8080",
      ),
      username: stringAt("share.username", share["username"], "give the Share account name"),
      passwordFile: stringAt(
        "share.passwordFile",
        share["passwordFile"],
        "give the path of the password file",
      ),
      replaceReceiver: booleanAt("share.replaceReceiver", share["replaceReceiver"]),
    };
  }
  if (root["http"] !== undefined) {
    const http = objectAt("http", root["http"]);
    refuseUnknown("http.", http, ["listen"]);
    layer.http = {
      listen:
        http["listen"] === null
          ? null
          : stringAt("http.listen", http["listen"], "give HOST:PORT, or null for none"),
    };
  }
  if (root["log"] !== undefined) {
    const log = objectAt("log", root["log"]);
    refuseUnknown("log.", log, ["level"]);
    layer.log = { level: oneOf("log.level", log["level"], LOG_LEVELS) };
  }
  return layer;
}

export { LOG_LEVELS, SHARE_REGIONS, TIME_MODES };
