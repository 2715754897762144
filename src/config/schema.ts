/**
 * Every configuration key, declared once (DESIGN.md §8): its kind and range, default, help text,
 * environment variable and command-line flag. Everything else derives from this table:
 *
 *   - the `Config` type (below);
 *   - validation of the file, the environment and the flags, and the merge of the three (load.ts);
 *   - the config flags of `run`, `sync`, `status`, `doctor` and the `share` commands, and their
 *     usage text (src/cli/config-options.ts);
 *   - config/sharebridge.example.json and the README's configuration table (docs.ts; `npm run
 *     docs:config` rewrites both, and test/config/docs.test.ts fails while either is out of date).
 *
 * To add a key: add one entry below, in the section it belongs to (a new section is a new nested
 * object), with `help`, `default`, `env` and, when a command line should set it, `flag`. Then run
 * `npm run docs:config`. Code reads it as `config.section.key`, already validated and typed. A key
 * that other keys exclude names them in `excludes` (both ways); a renamed key keeps its old name
 * in `aliases`.
 */

import { describeError } from "../errors.js";
import { LOG_LEVELS } from "../log.js";
import { DISPLAY_UNITS } from "../readings/units.js";
import { SHARE_REGIONS } from "../share/regions.js";
import { parseServerUrl } from "../share/server-url.js";
import { brokerUrlProblem } from "../sinks/mqtt/broker-url.js";
import { topicPrefixProblem } from "../sinks/mqtt/topics.js";
import { TIME_MODES } from "../time/share-times.js";
import { isUuid } from "../util/uuid.js";
import { address, boolean, choice, integer, isKeySpec, type KeySpec, text, type ValueOf } from "./kinds.js";
import { ALERT_FORMATS, webhookProblem } from "./webhook-url.js";

/** Share account names are user names, e-mail addresses or phone numbers (share-api §2). */
const MAX_USERNAME_LENGTH = 254;

/** The account name the example file carries: a configuration that still has it is not configured. */
export const EXAMPLE_USERNAME = "your-dexcom-account";

export const CONFIG_KEYS = {
  device: text({
    help: "The receiver.",
    details:
      "`auto` finds it by USB id 22a3:0047, prefers its `/dev/serial/by-id/` link, and works without udev by reading sysfs. Or give a tty path, `tcp://HOST:PORT` (ser2net in raw mode, socat), or `emulate[:g4|g4share|g5|touchscreen]` (the built-in receiver emulator).",
    default: "auto",
    env: "SHAREBRIDGE_DEVICE",
    flag: { name: "device", value: "auto|PATH|tcp://HOST:PORT|emulate[:PROFILE]", global: true },
    fix: "use auto, a device path, tcp://HOST:PORT or emulate[:PROFILE]",
    typeText: "auto, a path, tcp://HOST:PORT or emulate[:PROFILE]",
  }),
  receiver: {
    serial: text({
      help: "The serial number of the one receiver to use (as `sharebridge receiver list` shows it).",
      details:
        "With `device` set to `auto` or a pattern such as `/dev/ttyACM*`, every receiver found is asked for its serial and only this one is opened, whichever device node it appears as; with a path or `tcp://`, a receiver with another serial is refused. Needed when one host runs one instance per receiver: see [Several receivers](#several-receivers).",
      default: undefined,
      env: "SHAREBRIDGE_RECEIVER_SERIAL",
      flag: { name: "receiver-serial", value: "SERIAL", global: true },
      fix: "give the serial as `sharebridge receiver list` shows it, e.g. SM12345678",
      typeText: "letters and digits",
      maxLength: 32,
      check: (value) => (/^[A-Za-z0-9-]{1,32}$/.test(value) ? undefined : "must be letters and digits"),
    }),
  },
  stateDir: text({
    help: "Where the state file `state.json` lives.",
    default: "./state",
    defaultText: "`$STATE_DIRECTORY` (systemd), else `./state`",
    defaultFrom: (env) => env["STATE_DIRECTORY"]?.split(":")[0] || undefined,
    example: "/var/lib/sharebridge",
    env: "SHAREBRIDGE_STATE_DIR",
    flag: { name: "state-dir", value: "DIR" },
    fix: "give a directory path",
    typeText: "a directory",
  }),
  readingIntervalSeconds: integer({
    help: "The receiver's reading cadence.",
    details: "Formerly `readingIntervalS`, still accepted.",
    default: 300,
    min: 1,
    max: 3600,
    unit: "seconds",
    env: "SHAREBRIDGE_READING_INTERVAL_SECONDS",
    flag: { name: "reading-interval", value: "SECONDS" },
    aliases: ["readingIntervalS"],
  }),
  backfillHours: integer({
    help: "How far back a first run, or a run after a long gap, posts.",
    default: 24,
    // Up to 90 days: a receiver holds about 30 (spec §4.6 observed ranges), touchscreens more.
    min: 0,
    max: 2160,
    unit: "hours",
    env: "SHAREBRIDGE_BACKFILL_HOURS",
    flag: { name: "backfill-hours", value: "HOURS" },
  }),
  clock: {
    mode: choice({
      help: "How readings are stamped for Share: `corrected` or `raw`; see [Time](#time).",
      values: TIME_MODES,
      default: "corrected",
      env: "SHAREBRIDGE_CLOCK_MODE",
    }),
    assumeSynchronized: boolean({
      help: "Trust the host clock without seeing NTP state, e.g. in a container whose host keeps time.",
      details: '`false` means "detect it".',
      default: false,
      env: "SHAREBRIDGE_CLOCK_ASSUME_SYNCHRONIZED",
    }),
  },
  share: {
    region: choice({
      help: "The Share region of the account.",
      details:
        "`us` (share2.dexcom.com), `ous` (shareous1.dexcom.com: everywhere outside the US and Japan) or `jp`. Give exactly one of `region` and `server`; a wrong region answers exactly like a wrong password.",
      values: SHARE_REGIONS,
      default: undefined,
      example: "us",
      env: "SHAREBRIDGE_SHARE_REGION",
      flag: { name: "region", value: SHARE_REGIONS.join("|") },
      excludes: ["share.server"],
    }),
    server: text({
      help: "A Share-compatible server instead of a region, such as the emulator: scheme, host and port.",
      details: "Plain http is accepted only on loopback; the client adds `/ShareWebServices/Services/`.",
      default: undefined,
      env: "SHAREBRIDGE_SHARE_SERVER",
      flag: { name: "server", value: "URL" },
      excludes: ["share.region"],
      fix: "give scheme, host and port, e.g. http://127.0.0.1:8080",
      typeText: "a URL",
      maxLength: 2048,
      check(value) {
        try {
          parseServerUrl(value);
          return undefined;
        } catch (error) {
          return describeError(error);
        }
      },
    }),
    username: text({
      help: "The Share account name: a user name, an e-mail address or a phone number.",
      default: undefined,
      example: EXAMPLE_USERNAME,
      env: "SHAREBRIDGE_SHARE_USERNAME",
      flag: { name: "username", value: "NAME" },
      fix: "give the Share account name",
      maxLength: MAX_USERNAME_LENGTH,
      typeText: `text, at most ${MAX_USERNAME_LENGTH} characters`,
    }),
    passwordFile: text({
      help: "A file holding the password on one line.",
      details:
        "Without it, sharebridge uses the systemd credential `share-password` (`$CREDENTIALS_DIRECTORY`), then the Docker secret `/run/secrets/share-password`. The password itself is never in the configuration.",
      default: undefined,
      env: "SHAREBRIDGE_PASSWORD_FILE",
      flag: { name: "password-file", value: "FILE" },
      fix: "give the path of the password file",
      typeText: "a file",
    }),
    replaceReceiver: choice({
      help: "Whether sharebridge may take the account's receiver slot from another serial.",
      details:
        "`auto`: take the slot over only when the account received no reading in the last 15 minutes (share-api §18.3); `always`: take it; `never`: stop and say so. `true` and `false` are read as `always` and `never`.",
      values: ["auto", "always", "never"] as const,
      synonyms: [
        [true, "always"],
        [false, "never"],
      ],
      default: "auto",
      env: "SHAREBRIDGE_SHARE_REPLACE_RECEIVER",
    }),
    requestDeadlineSeconds: integer({
      help: "How long one request to Share may take in all, from sending it to the last byte of the answer.",
      details:
        "A server that trickles its answer a byte at a time cannot hold a cycle longer than this (share-api §18).",
      default: 60,
      min: 1,
      max: 3600,
      unit: "seconds",
      env: "SHAREBRIDGE_SHARE_REQUEST_DEADLINE_SECONDS",
    }),
    applicationId: text({
      help: "The application id sent to Share, when it must differ from the region's own.",
      details: "Each region has a known id (share-api §1.2); set this only when Dexcom requires another.",
      default: undefined,
      env: "SHAREBRIDGE_SHARE_APPLICATION_ID",
      fix: "give a UUID such as d89443d2-327c-4a6f-89e5-496bbb0317db, or leave the key out",
      typeText: "a UUID",
      check: (value) => (isUuid(value) ? undefined : "must be a UUID (8-4-4-4-12 hex digits)"),
    }),
  },
  http: {
    listen: address({
      help: "Where the status page, `/healthz` and `/metrics` listen: `HOST:PORT`, or just `PORT` on loopback.",
      details:
        "`null` turns it off. Any address other than loopback needs `http.tokenFile`; see [The status page](#the-status-page).",
      default: null,
      defaultText: "`null` (off)",
      env: "SHAREBRIDGE_HTTP_LISTEN",
      fix: "write e.g. 127.0.0.1:9477, or null to turn the endpoint off",
    }),
    tokenFile: text({
      help: "A file holding the status page's access token on one line, at least 16 characters.",
      details:
        "Needed when `http.listen` is not loopback; when set, the page, `/status.json` and `/metrics` ask for it (`/healthz` never does). Without it, sharebridge uses the systemd credential `http-token`, then the Docker secret `/run/secrets/http-token`.",
      default: undefined,
      env: "SHAREBRIDGE_HTTP_TOKEN_FILE",
      fix: "give the path of the token file",
      typeText: "a file",
    }),
  },
  display: {
    units: choice({
      help: "Glucose units for the status page, `history`, `status` and the demo.",
      details: "`mmol/L` is shown with one decimal. Share and the archive always carry mg/dL.",
      values: DISPLAY_UNITS,
      default: "mg/dL",
      env: "SHAREBRIDGE_DISPLAY_UNITS",
    }),
  },
  archive: {
    retentionDays: integer({
      help: "How many days of readings the local history (`archive/` in the state directory) keeps.",
      details: "`0` turns the history off (the status page then has no chart).",
      default: 90,
      min: 0,
      max: 3650,
      unit: "days",
      env: "SHAREBRIDGE_ARCHIVE_RETENTION_DAYS",
    }),
  },
  alerts: {
    webhook: text({
      help: "A URL to call when uploads stop or need attention; see [Alerts](#alerts).",
      details:
        "http or https, e.g. an ntfy topic such as `https://ntfy.sh/your-secret-topic`. Treat it as a secret: it is never logged.",
      default: undefined,
      env: "SHAREBRIDGE_ALERTS_WEBHOOK",
      fix: "give an http or https URL, e.g. https://ntfy.sh/your-secret-topic",
      typeText: "a URL",
      maxLength: 2048,
      check: webhookProblem,
    }),
    format: choice({
      help: "How alerts are sent: `ntfy` (plain text with a Title header) or `json`.",
      values: ALERT_FORMATS,
      default: "ntfy",
      env: "SHAREBRIDGE_ALERTS_FORMAT",
    }),
    afterMinutes: integer({
      help: "How long uploads may stop, or the receiver be missing, before an alert.",
      default: 20,
      min: 5,
      max: 1440,
      unit: "minutes",
      env: "SHAREBRIDGE_ALERTS_AFTER_MINUTES",
    }),
  },
  mqtt: {
    url: text({
      help: "The MQTT broker to publish readings and status to, for Home Assistant: `mqtt://HOST[:PORT]`, or `mqtts://HOST[:PORT]` for TLS.",
      details:
        "Unset, nothing is published and the MQTT client is never loaded. Ports default to 1883 and 8883. TLS certificates are always verified (see `mqtt.caFile`). See [Home Assistant](#home-assistant).",
      default: undefined,
      env: "SHAREBRIDGE_MQTT_URL",
      fix: "write mqtt://HOST[:PORT] or mqtts://HOST[:PORT], without user name or password",
      typeText: "mqtt:// or mqtts:// URL",
      maxLength: 300,
      check: brokerUrlProblem,
    }),
    username: text({
      help: "The user name for the broker, when it asks for one.",
      default: undefined,
      env: "SHAREBRIDGE_MQTT_USERNAME",
      fix: "give the broker's user name",
      maxLength: 256,
      typeText: "text, at most 256 characters",
    }),
    passwordFile: text({
      help: "A file holding the broker password on one line.",
      details:
        "Without it, sharebridge uses the systemd credential `mqtt-password` (`$CREDENTIALS_DIRECTORY`), then the Docker secret `/run/secrets/mqtt-password`, and connects without a password when there is neither.",
      default: undefined,
      env: "SHAREBRIDGE_MQTT_PASSWORD_FILE",
      fix: "give the path of the broker's password file",
      typeText: "a file",
    }),
    caFile: text({
      help: "A PEM file with the certificate authority that signed the broker's certificate, for `mqtts://` with a private CA.",
      details: "Trusted in addition to the system's authorities. There is no way to skip verification.",
      default: undefined,
      env: "SHAREBRIDGE_MQTT_CA_FILE",
      fix: "give the path of a PEM file",
      typeText: "a file",
    }),
    clientId: text({
      help: "The MQTT client id; each connection to a broker needs its own.",
      details:
        "The default is made of the host name and the state directory, so that several instances on one host never share one.",
      default: undefined,
      defaultText: "`sharebridge-HOSTNAME-` and 8 hex digits of the state directory",
      env: "SHAREBRIDGE_MQTT_CLIENT_ID",
      fix: "give 1 to 64 letters, digits, _ or -",
      typeText: "1–64 letters, digits, _ -",
      maxLength: 64,
      check: (value) => (/^[A-Za-z0-9_-]{1,64}$/.test(value) ? undefined : "must be letters, digits, _ or -"),
    }),
    topicPrefix: text({
      help: "The first level of every topic sharebridge publishes: `PREFIX/SERIAL/reading`, `…/status`, `…/availability`.",
      default: "sharebridge",
      env: "SHAREBRIDGE_MQTT_TOPIC_PREFIX",
      fix: "use letters, digits, _ . - and / between levels, e.g. sharebridge or home/cgm",
      typeText: "topic levels",
      check: topicPrefixProblem,
    }),
    discoveryPrefix: text({
      help: "Home Assistant's discovery prefix: sensors are announced at `PREFIX/sensor/…/config`.",
      details: "Home Assistant's default is `homeassistant`; change it only if yours was changed.",
      default: "homeassistant",
      env: "SHAREBRIDGE_MQTT_DISCOVERY_PREFIX",
      fix: "use the discovery prefix set in Home Assistant's MQTT integration",
      typeText: "topic levels",
      check: topicPrefixProblem,
    }),
  },
  log: {
    level: choice({
      help: "How much is logged.",
      values: LOG_LEVELS,
      default: "info",
      env: "SHAREBRIDGE_LOG_LEVEL",
      flag: { name: "log-level", value: "LEVEL", global: true },
    }),
  },
} as const;

/** Keys of a section whose value may be undefined (no default): optional in the type. */
type OptionalKeys<S> = {
  [K in keyof S]: S[K] extends KeySpec<unknown> ? (undefined extends ValueOf<S[K]> ? K : never) : never;
}[keyof S];

/** A declaration tree: keys, and sections of keys. */
type Tree<S> = {
  readonly [K in Exclude<keyof S, OptionalKeys<S>>]: S[K] extends KeySpec<unknown>
    ? ValueOf<S[K]>
    : Tree<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: ValueOf<S[K]> };

/** The validated configuration, as every command receives it. */
export type Config = Tree<typeof CONFIG_KEYS>;

/** A key with its dotted path: `share.region`. */
export interface DeclaredKey {
  readonly path: string;
  readonly spec: KeySpec<unknown>;
}

/** Keys that are refused with a reason of their own rather than "unknown key". */
export const REFUSED_KEYS: Readonly<Record<string, { message: string; fix: string }>> = {
  "share.password": {
    message: "passwords are not kept in the configuration",
    fix: "put it in a file named by share.passwordFile",
  },
};

function flatten(tree: object, prefix: string, out: DeclaredKey[]): DeclaredKey[] {
  for (const [name, value] of Object.entries(tree)) {
    if (isKeySpec(value)) out.push({ path: `${prefix}${name}`, spec: value });
    else flatten(value as object, `${prefix}${name}.`, out);
  }
  return out;
}

/** Every key, in declaration order. */
export const DECLARED_KEYS: readonly DeclaredKey[] = flatten(CONFIG_KEYS, "", []);

/** The key at `path`; undefined for a section or an unknown path. */
export function declaredKey(path: string): DeclaredKey | undefined {
  return DECLARED_KEYS.find((key) => key.path === path);
}
