/**
 * `sharebridge emulate share`: runs the Share emulator (share-api §14.2, DESIGN §9) until SIGINT or
 * SIGTERM. Prints one line per listener on stdout, for scripts: `listening REGION URL`; give that URL
 * to `--server` (or to any Share client) unchanged.
 */
import { type ShareEmulatorKnobsInput, startShareEmulator } from "../emulator/share/index.js";
import type { EmulatorAccountInput } from "../emulator/share/model.js";
import type { ListenAddress } from "../emulator/share/server.js";
import { isShareRegion, SHARE_REGIONS, type ShareRegion } from "../share/regions.js";
import { parseHostPort } from "../util/host-port.js";
import type { Command, OptionValues } from "./command.js";
import { EXIT } from "./exit-codes.js";
import {
  integerOption,
  listOption as list,
  oneOfOption as oneOf,
  stringOption,
  usage,
} from "./option-values.js";

/** `[REGION=]HOST:PORT`, IPv6 hosts in brackets; the region defaults to us. */
export function parseListen(text: string): [ShareRegion, ListenAddress] {
  const equals = text.indexOf("=");
  const region = equals === -1 ? "us" : text.slice(0, equals);
  const address = parseHostPort(equals === -1 ? text : text.slice(equals + 1));
  if (address === undefined) {
    usage(
      `--listen must be [REGION=]HOST:PORT (e.g. 127.0.0.1:8080 or ous=127.0.0.1:8081), got "${text.slice(0, 80)}"`,
      "listen",
    );
  }
  if (!isShareRegion(region)) usage(`--listen region must be one of ${SHARE_REGIONS.join(", ")}`, "listen");
  return [region, address];
}

/** `NAME:PASSWORD[:REGION]`; the last part is a region only if it is one of us, ous, jp. */
export function parseAccount(text: string): EmulatorAccountInput {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) usage("--account must be NAME:PASSWORD[:REGION]", "account");
  const name = text.slice(0, colon);
  let password = text.slice(colon + 1);
  let region: ShareRegion = "us";
  const last = password.lastIndexOf(":");
  const suffix = last > 0 ? password.slice(last + 1) : "";
  if (isShareRegion(suffix)) {
    region = suffix;
    password = password.slice(0, last);
  }
  return { name, password, region };
}

const DAY_MS = 86_400_000;

/** `A` or `A:B`, two whole numbers within their bounds: `--latency 150:30`, `--throttle 429:120`. */
function numberPair(
  values: OptionValues,
  name: string,
  first: readonly [number, number],
  second: readonly [number, number],
  shape: string,
): [number, number | undefined] | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const match = /^(\d{1,9})(?::(\d{1,9}))?$/.exec(text);
  const a = Number(match?.[1]);
  const b = match?.[2] === undefined ? undefined : Number(match[2]);
  if (
    match === null ||
    a < first[0] ||
    a > first[1] ||
    (b !== undefined && (b < second[0] || b > second[1]))
  ) {
    usage(`--${name} must be ${shape}, got "${text}"`, name);
  }
  return [a, b];
}

/** `--held-by NAME=SERIAL:silent|active`: another uploader's receiver holds the account's slot. */
export function parseHeldBy(text: string): { name: string; serial: string; activity: "silent" | "active" } {
  const match = /^([^=]+)=([A-Za-z0-9-]{1,32}):(silent|active)$/.exec(text);
  if (match === null) usage(`--held-by must be NAME=SERIAL:silent|active, got "${text}"`, "held-by");
  return {
    name: match[1] ?? "",
    serial: match[2] ?? "",
    activity: match[3] === "active" ? "active" : "silent",
  };
}

function wholeNumbers(values: OptionValues, name: string): number[] | undefined {
  const texts = list(values, name);
  if (texts.length === 0) return undefined;
  return texts.map((text) => {
    if (!/^\d{1,15}$/.test(text)) usage(`--${name} must be a whole number, got "${text}"`, name);
    return Number(text);
  });
}

/** Every knob of share-api §14.2 from its flag; absent flags keep the defaults. */
export function knobsFromOptions(values: OptionValues): ShareEmulatorKnobsInput {
  const ms = (name: string) => integerOption(values, name, 0, 365 * DAY_MS);
  const rateText = stringOption(values, "session-not-valid-rate");
  const rate =
    rateText === undefined
      ? undefined
      : /^(0(\.\d{1,6})?|1(\.0{1,6})?)$/.test(rateText)
        ? Number(rateText)
        : -1;
  if (rate === -1)
    usage("--session-not-valid-rate must be a probability from 0 to 1", "session-not-valid-rate");
  const outageAfter = ms("outage-after-ms");
  const outageFor = ms("outage-ms");
  if (outageAfter !== undefined && outageFor === undefined)
    usage("--outage-after-ms needs --outage-ms", "outage-ms");
  const taSign = oneOf(values, "ta-sign", ["+1", "-1"] as const);
  const latency = numberPair(values, "latency", [0, 600_000], [0, 600_000], "MS or MS:JITTER_MS");
  if (latency !== undefined && values["latency-ms"] !== undefined) {
    usage("give --latency or --latency-ms, not both", "latency");
  }
  if (latency?.[1] !== undefined && latency[1] > latency[0]) {
    usage("--latency jitter must not exceed the latency", "latency");
  }
  const throttle = numberPair(values, "throttle", [429, 503], [0, 86_400], "429|503[:RETRY_AFTER_SECONDS]");
  if (throttle !== undefined && throttle[0] !== 429 && throttle[0] !== 503) {
    usage("--throttle status must be 429 or 503", "throttle");
  }
  const trickle = numberPair(values, "trickle", [1, 600_000], [0, 1_000_000], "INTERVAL_MS[:PADDING_BYTES]");
  const refuseValues = wholeNumbers(values, "refuse-value");
  const refuseSt = wholeNumbers(values, "refuse-st");
  const knobs: ShareEmulatorKnobsInput = {
    regionSeparation: values["any-region"] === true ? false : undefined,
    strictApplicationId: values["strict-application-id"] === true ? true : undefined,
    byNameStyle: oneOf(values, "by-name-style", ["modern", "legacy-faults"] as const),
    credentialFaultStyle: oneOf(values, "credential-fault-style", ["modern", "sso"] as const),
    lockout: {
      attempts: integerOption(values, "lockout-attempts", 1, 1000),
      ms: ms("lockout-ms"),
      codeSpelling: oneOf(values, "lockout-spelling", ["Exceeed", "Exceeded"] as const),
    },
    sessionTtlMs: ms("session-ttl-ms"),
    idleTtlMs: ms("idle-ttl-ms"),
    replaceSameSerial: oneOf(values, "replace-same-serial", ["fault", "ok"] as const),
    monitoringTtlMs: ms("monitoring-ttl-ms"),
    futureToleranceMs: ms("future-tolerance-ms"),
    duplicateKey: oneOf(values, "duplicate-key", ["st", "wt"] as const),
    taSign: taSign === undefined ? undefined : taSign === "+1" ? 1 : -1,
    dateStyle: oneOf(values, "date-style", ["modern", "legacy"] as const),
    trendStyle: oneOf(values, "trend-style", ["name", "number"] as const),
    requireFollowerForRead: values["require-follower"] === true ? true : undefined,
    dtOffsetSource: oneOf(values, "dt-offset-source", ["posted", "fixed"] as const),
    fixedDtOffsetMinutes: integerOption(values, "fixed-dt-offset-minutes", -14 * 60, 14 * 60),
    subCodeStyle: oneOf(values, "subcode-style", ["xml", "json"] as const),
    trendRange: oneOf(values, "trend-range", ["0-7", "0-9"] as const),
    serialMatch: oneOf(values, "serial-match", ["exact", "ignore-case"] as const),
    faults: {
      outage: outageFor === undefined ? undefined : { afterMs: outageAfter ?? 0, durationMs: outageFor },
      sessionNotValidRate: rate,
      latencyMs: latency?.[0] ?? integerOption(values, "latency-ms", 0, 600_000),
      latencyJitterMs: latency?.[1],
      throttle:
        throttle === undefined
          ? undefined
          : {
              status: throttle[0] as 429 | 503,
              retryAfterSeconds: throttle[1] ?? null,
              afterMs: ms("throttle-after-ms") ?? 0,
              durationMs: ms("throttle-ms") ?? 365 * DAY_MS,
            },
      trickle: trickle === undefined ? undefined : { intervalMs: trickle[0], paddingBytes: trickle[1] ?? 0 },
      loginAnswer: oneOf(values, "login-answer", ["normal", "http-401", "http-403", "garbage"] as const),
      faultsWithStatus200: values["faults-with-status-200"] === true ? true : undefined,
      voidSuccessBody: stringOption(values, "void-success-body"),
      refuse:
        refuseValues === undefined && refuseSt === undefined
          ? undefined
          : { values: refuseValues ?? [], stMs: refuseSt ?? [] },
      cloudflareHeaders: values["cloudflare-headers"] === true ? true : undefined,
      seed: integerOption(values, "seed", 0, 0xffff_ffff),
    },
  };
  return withoutUndefined(knobs) as ShareEmulatorKnobsInput;
}

/** Drops undefined entries so absent flags do not override defaults. */
function withoutUndefined(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  );
}

const command: Command = {
  usage: `--listen [REGION=]HOST:PORT --account NAME:PASSWORD[:REGION] [options]

  --listen [REGION=]HOST:PORT   serve a region (default us); repeat for ous and jp; port 0 picks one
  --account NAME:PASSWORD[:REGION]  a test account (repeatable; region us unless :ous or :jp ends it)
  --alias NAME=ALIAS            another identity (e-mail, +phone) of account NAME (repeatable)
  --state-file FILE             keep readings, assignments and followers in FILE across restarts
  Knobs (share-api §14.2; defaults in brackets):
  --any-region                  accounts may log in on any region's listener [separated]
  --strict-application-id       each region accepts only its own application id [both ids]
  --by-name-style modern|legacy-faults           [modern]
  --credential-fault-style modern|sso            [modern]
  --lockout-attempts N  --lockout-ms MS  --lockout-spelling Exceeed|Exceeded   [5, 900000, Exceeed]
  --session-ttl-ms MS  --idle-ttl-ms MS          [86400000, none]
  --replace-same-serial fault|ok                 [fault]
  --monitoring-ttl-ms MS                         [none]
  --future-tolerance-ms MS                       [300000]
  --duplicate-key st|wt                          [st]
  --ta-sign +1|-1                                [+1: WT = ST + TA x 1000]
  --date-style modern|legacy  --trend-style name|number   [modern, name]
  --require-follower            reads answer [] until the account has a follower [off]
  --dt-offset-source posted|fixed  --fixed-dt-offset-minutes N   [posted]
  --subcode-style xml|json                       [xml]
  --trend-range 0-7|0-9         trends a post may carry; others refuse it with InvalidArgument [0-7]
  --serial-match exact|ignore-case               compare serials exactly or ignoring case [exact]
  --held-by NAME=SERIAL:silent|active   another uploader's receiver holds account NAME's slot;
                                active: it posted a reading a minute before start (repeatable)
  Faults:
  --outage-after-ms MS --outage-ms MS   answer 503 (non-JSON) during that window after start
  --throttle 429|503[:S]        answer that status (non-JSON), with Retry-After: S when given...
  --throttle-after-ms MS --throttle-ms MS   ...during that window after start [from start, for ever]
  --trickle MS[:PADDING]        send every body one byte per MS, after PADDING leading spaces
  --login-answer normal|http-401|http-403|garbage   how logins are answered [normal]
  --faults-with-status-200      faults (the error envelope) with HTTP 200 instead of 500
  --void-success-body TEXT      a body on void successes instead of the empty one
  --refuse-value N  --refuse-st MS   refuse posts holding a reading with that value or ST (epoch
                                ms) with InvalidArgument, storing nothing (repeatable)
  --session-not-valid-rate P    answer SessionNotValid with probability P  --seed N  [1]
  --latency MS[:JITTER]         delay every answer MS ± up to JITTER ms (seeded); --latency-ms MS
                                is the same without jitter
  --cloudflare-headers          add Cloudflare-like response headers`,
  options: {
    listen: { type: "string", multiple: true },
    account: { type: "string", multiple: true },
    alias: { type: "string", multiple: true },
    "state-file": { type: "string" },
    "any-region": { type: "boolean" },
    "strict-application-id": { type: "boolean" },
    "by-name-style": { type: "string" },
    "credential-fault-style": { type: "string" },
    "lockout-attempts": { type: "string" },
    "lockout-ms": { type: "string" },
    "lockout-spelling": { type: "string" },
    "session-ttl-ms": { type: "string" },
    "idle-ttl-ms": { type: "string" },
    "replace-same-serial": { type: "string" },
    "monitoring-ttl-ms": { type: "string" },
    "future-tolerance-ms": { type: "string" },
    "duplicate-key": { type: "string" },
    "ta-sign": { type: "string" },
    "date-style": { type: "string" },
    "trend-style": { type: "string" },
    "require-follower": { type: "boolean" },
    "dt-offset-source": { type: "string" },
    "fixed-dt-offset-minutes": { type: "string" },
    "subcode-style": { type: "string" },
    "outage-after-ms": { type: "string" },
    "outage-ms": { type: "string" },
    "session-not-valid-rate": { type: "string" },
    "latency-ms": { type: "string" },
    latency: { type: "string" },
    "trend-range": { type: "string" },
    "serial-match": { type: "string" },
    "held-by": { type: "string", multiple: true },
    throttle: { type: "string" },
    "throttle-after-ms": { type: "string" },
    "throttle-ms": { type: "string" },
    trickle: { type: "string" },
    "login-answer": { type: "string" },
    "faults-with-status-200": { type: "boolean" },
    "void-success-body": { type: "string" },
    "refuse-value": { type: "string", multiple: true },
    "refuse-st": { type: "string", multiple: true },
    "cloudflare-headers": { type: "boolean" },
    seed: { type: "string" },
  },
  async run(ctx) {
    const { values } = ctx;
    const listenTexts = list(values, "listen");
    if (listenTexts.length === 0) usage("give at least one --listen HOST:PORT", "listen");
    const listen: Partial<Record<ShareRegion, ListenAddress>> = {};
    for (const text of listenTexts) {
      const [region, address] = parseListen(text);
      if (listen[region] !== undefined) usage(`--listen for region ${region} is given twice`, "listen");
      listen[region] = address;
    }
    const accounts = list(values, "account").map(parseAccount);
    const aliases = new Map<string, string[]>();
    for (const text of list(values, "alias")) {
      const eq = text.indexOf("=");
      if (eq <= 0 || eq === text.length - 1) usage("--alias must be NAME=ALIAS", "alias");
      const name = text.slice(0, eq);
      if (!accounts.some((a) => a.name === name))
        usage(`--alias names an account that is not given: ${name}`, "alias");
      aliases.set(name, [...(aliases.get(name) ?? []), text.slice(eq + 1)]);
    }
    const heldBy = new Map<string, { serial: string; activity: "silent" | "active" }>();
    for (const text of list(values, "held-by")) {
      const { name, serial, activity } = parseHeldBy(text);
      if (!accounts.some((a) => a.name === name))
        usage(`--held-by names an account that is not given: ${name}`, "held-by");
      heldBy.set(name, { serial, activity });
    }
    const log = ctx.log.child({ component: "emulator" });
    const emulator = await startShareEmulator({
      accounts: accounts.map((a) => ({
        ...a,
        aliases: aliases.get(a.name) ?? [],
        heldBy: heldBy.get(a.name),
      })),
      knobs: knobsFromOptions(values),
      listen,
      stateFile: stringOption(values, "state-file"),
      log,
    });
    try {
      for (const region of SHARE_REGIONS) {
        if (listen[region] !== undefined) ctx.stdout.write(`listening ${region} ${emulator.url(region)}\n`);
      }
      const exposed = Object.values(listen).some(
        (a) => !["127.0.0.1", "::1", "localhost"].includes(a.host ?? ""),
      );
      if (exposed)
        log.warn("the emulator listens beyond loopback; its accounts and data are for testing only");
      log.info({ accounts: accounts.map((a) => `${a.name} (${a.region})`) }, "Share emulator running");
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    } finally {
      await emulator.close();
    }
    log.info({ requests: emulator.count() }, "Share emulator stopped");
    return EXIT.OK;
  },
};

export default command;
