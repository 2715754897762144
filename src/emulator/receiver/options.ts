/**
 * Options of `createReceiverEmulator`, with their defaults and checks. Everything here may come from
 * a command line, so every value is validated and a bad one is a CONFIG_INVALID naming it.
 */
import { SharebridgeError } from "../../errors.js";
import { type Logger, silentLogger } from "../../log.js";
import { type ErrorPolicy, resolveErrorPolicy } from "./error-policy.js";
import { checkFaultSpec, type FaultSpec, parseFaultSpec } from "./faults.js";
import { checkSerial } from "./identity.js";
import { getProfile, type Profile, type ProfileId } from "./profiles.js";
import type { ClockOptions } from "./receiver.js";
import { parseReplay, type ReplayPages } from "./replay.js";

export interface ReceiverEmulatorOptions {
  /** Receiver generation (default "g4"). */
  readonly profile?: ProfileId;
  /** Seed of everything generated (default 1): same seed, same bytes. An integer 0 … 2^32−1. */
  readonly seed?: number;
  /** Days of history before now (default 30, at most 365; 0 gives an empty database). */
  readonly days?: number;
  /** Host clock, Unix ms (default Date.now). The receiver's clocks run from it. */
  readonly now?: () => number;
  /** Add a reading every `intervalSeconds` seconds (default 300) while the clocks run. */
  readonly live?: boolean | { readonly intervalSeconds?: number };
  /** Reply delays measured from the vendor capture (§1.5). Default off. */
  readonly realistic?: boolean;
  /** Fault injection, as an object or as the `--faults` text. */
  readonly faults?: FaultSpec | string;
  /** Largest page count one ReadDatabasePages may ask for (default 4, spec §4.7). */
  readonly pagesPerRequest?: number;
  /** The §7.2 rows to switch from their defaults. */
  readonly errorPolicy?: Partial<ErrorPolicy>;
  /** ReadChargerCurrentSetting payload width (default 1 byte; §9.1). */
  readonly chargerCurrentWidth?: 1 | 4;
  /** Receiver serial number (default "SM" + 8 digits from the seed). */
  readonly serial?: string;
  /** Transmitter id (default from the seed): 5 characters on G4 profiles, 6 on g5/touchscreen. */
  readonly transmitterId?: string;
  /** Storage wrap: most pages kept per record partition (default unlimited). */
  readonly maxPages?: number;
  /** Clock settings (skew, drift, zone, display offset, DST shift, RTC). */
  readonly clock?: ClockOptions;
  /** Delay before a pty comes back after an unplug, ms (default 200). */
  readonly replugDelayMs?: number;
  /**
   * Real pages to start from, as `receiver dump --format hex` prints them (replay.ts), or parsed;
   * the generated history continues after them.
   */
  readonly replay?: string | ReplayPages;
  /** Salt the EGV readings with the values a client must map or skip (salt.ts). Default off. */
  readonly salt?: boolean;
  /** Root or parent logger; the emulator logs under `component: "emulator"`. */
  readonly log?: Logger;
}

export interface ResolvedOptions {
  readonly profile: Profile;
  readonly seed: number;
  readonly days: number;
  readonly now: () => number;
  readonly liveIntervalSeconds: number | undefined;
  readonly realistic: boolean;
  readonly faults: FaultSpec;
  readonly pagesPerRequest: number;
  readonly errorPolicy: ErrorPolicy;
  readonly chargerCurrentWidth: 1 | 4;
  readonly serial: string | undefined;
  readonly transmitterId: string | undefined;
  readonly maxPages: number;
  readonly clock: ClockOptions;
  readonly replugDelayMs: number;
  readonly replay: ReplayPages | undefined;
  readonly salt: boolean;
  readonly log: Logger;
}

/** The most pages one reply can carry: the u16 length field allows 6 + 124 × 528 = 65478 bytes (§2.1). */
export const MAX_PAGES_PER_REPLY = 124;

function invalid(key: string, why: string, value: unknown): never {
  throw new SharebridgeError("CONFIG_INVALID", `${key} ${why}`, { option: key, value });
}

function integerIn(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    invalid(key, `must be an integer in [${min}, ${max}]`, value);
  }
  return value;
}

function numberIn(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    invalid(key, `must be a number in [${min}, ${max}]`, value);
  }
  return value;
}

function checkClock(clock: ClockOptions | undefined): ClockOptions {
  const c = clock ?? {};
  const i32 = 0x7fff_ffff;
  if (c.systemSkewSeconds !== undefined) integerIn("clock.systemSkewSeconds", c.systemSkewSeconds, -i32, i32);
  if (c.driftPpm !== undefined) numberIn("clock.driftPpm", c.driftPpm, -1000, 1000);
  if (c.zoneOffsetSeconds !== undefined)
    integerIn("clock.zoneOffsetSeconds", c.zoneOffsetSeconds, -14 * 3600, 14 * 3600);
  if (c.displayOffsetSeconds !== undefined)
    integerIn("clock.displayOffsetSeconds", c.displayOffsetSeconds, -i32 - 1, i32);
  if (c.dstShiftSeconds !== undefined && ![0, 3600, -3600].includes(c.dstShiftSeconds)) {
    invalid("clock.dstShiftSeconds", "must be 3600, -3600 or 0", c.dstShiftSeconds);
  }
  if (c.rtcSeconds !== undefined) integerIn("clock.rtcSeconds", c.rtcSeconds, 0, 0xffff_ffff);
  return c;
}

export function resolveOptions(options: ReceiverEmulatorOptions = {}): ResolvedOptions {
  const live = options.live;
  let liveIntervalSeconds: number | undefined;
  if (live === true) liveIntervalSeconds = 300;
  else if (typeof live === "object" && live !== null) {
    liveIntervalSeconds = numberIn("live.intervalSeconds", live.intervalSeconds ?? 300, 0.1, 86_400);
  } else if (live !== undefined && live !== false)
    invalid("live", "must be a boolean or { intervalSeconds }", live);
  const faults =
    typeof options.faults === "string"
      ? parseFaultSpec(options.faults)
      : checkFaultSpec(options.faults ?? {});
  const width = options.chargerCurrentWidth ?? 1;
  if (width !== 1 && width !== 4) invalid("chargerCurrentWidth", "must be 1 or 4", width);
  if (options.now !== undefined && typeof options.now !== "function")
    invalid("now", "must be a function", options.now);
  return {
    profile: getProfile(options.profile ?? "g4"),
    seed: integerIn("seed", options.seed ?? 1, 0, 0xffff_ffff),
    days: numberIn("days", options.days ?? 30, 0, 365),
    now: options.now ?? Date.now,
    liveIntervalSeconds,
    realistic: options.realistic === true,
    faults,
    pagesPerRequest: integerIn("pagesPerRequest", options.pagesPerRequest ?? 4, 1, MAX_PAGES_PER_REPLY),
    errorPolicy: resolveErrorPolicy(options.errorPolicy),
    chargerCurrentWidth: width,
    serial: options.serial === undefined ? undefined : checkSerial(options.serial),
    transmitterId: options.transmitterId,
    maxPages:
      options.maxPages === undefined
        ? Number.POSITIVE_INFINITY
        : integerIn("maxPages", options.maxPages, 1, 1_000_000),
    clock: checkClock(options.clock),
    replugDelayMs: integerIn("replugDelayMs", options.replugDelayMs ?? 200, 0, 60_000),
    replay: typeof options.replay === "string" ? parseReplay(options.replay) : options.replay,
    salt: options.salt === true,
    log: (options.log ?? silentLogger).child({ component: "emulator" }),
  };
}
