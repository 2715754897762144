/**
 * Where the configuration comes from, lowest precedence first:
 *
 *   defaults (schema.ts) < packaged defaults (PACKAGED_DEFAULTS_FILE, the Docker image's)
 *     < the JSON file < environment variables < command-line flags
 *
 * The file: `--config FILE`, else $SHAREBRIDGE_CONFIG, else /etc/sharebridge/config.json when it
 * exists, else none (flags and environment alone are enough, e.g. in Docker).
 *
 * Environment variables (the complete list, documented in the README):
 *   SHAREBRIDGE_CONFIG, SHAREBRIDGE_DEVICE, SHAREBRIDGE_STATE_DIR, SHAREBRIDGE_LOG_LEVEL,
 *   SHAREBRIDGE_SHARE_REGION, SHAREBRIDGE_SHARE_SERVER, SHAREBRIDGE_SHARE_USERNAME,
 *   SHAREBRIDGE_PASSWORD_FILE, SHAREBRIDGE_HTTP_LISTEN; and from systemd: STATE_DIRECTORY (the state directory's default),
 *   CREDENTIALS_DIRECTORY (where LoadCredential= puts the password).
 *
 * The password is never in the configuration: it is read from share.passwordFile, else
 * $CREDENTIALS_DIRECTORY/share-password (systemd LoadCredential=share-password:…), else
 * /run/secrets/share-password (a Docker secret named share-password).
 */
import { access, open } from "node:fs/promises";
import { join } from "node:path";
import { SharebridgeError } from "../errors.js";
import { describeJsonProblem, parseJsonText } from "../util/json-text.js";
import { type Config, type ConfigLayer, DEFAULTS, parseConfigDocument } from "./schema.js";

export const DEFAULT_CONFIG_FILE = "/etc/sharebridge/config.json";
/**
 * Defaults a package or image ships (the Docker image: device, stateDir, http.listen), below the
 * configuration file: a key in the file overrides them, and the environment overrides both.
 */
export const PACKAGED_DEFAULTS_FILE = "/usr/share/sharebridge/defaults.json";
export const CREDENTIAL_NAME = "share-password";
export const DOCKER_SECRET_FILE = "/run/secrets/share-password";
const MAX_CONFIG_BYTES = 64 * 1024;

export interface ConfigSources {
  /** `--config FILE`. */
  readonly configPath?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values given as command-line flags, as a (partial) configuration document; validated like the file. */
  readonly flags?: Record<string, unknown>;
  /** Override of the default file location (tests). */
  readonly defaultConfigFile?: string;
  /** Override of the packaged defaults' location (tests). */
  readonly packagedDefaultsFile?: string;
}

export interface LoadedConfig {
  readonly config: Config;
  /** The file read, if any. */
  readonly file: string | undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function readConfigFile(path: string): Promise<ConfigLayer> {
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      if (size > MAX_CONFIG_BYTES) {
        throw new SharebridgeError("CONFIG_INVALID", `${path} is larger than ${MAX_CONFIG_BYTES} bytes`, {
          file: path,
        });
      }
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof SharebridgeError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new SharebridgeError("CONFIG_UNREADABLE", `cannot read the configuration file ${path} (${code})`, {
      file: path,
      errno: code,
    });
  }
  // Never quote the file: --config pointed at the password file must not print the password.
  const json = await parseJsonText(text);
  if (!json.ok) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      `${path} is not valid JSON: ${describeJsonProblem(json.problem)}`,
      {
        file: path,
        fix: "check commas and quotes; comments are not allowed in JSON",
      },
    );
  }
  const document = json.value;
  try {
    return parseConfigDocument(document);
  } catch (error) {
    if (error instanceof SharebridgeError) {
      throw new SharebridgeError(error.code, `${path}: ${error.message.replace(/ \[[A-Z_]+\]$/, "")}`, {
        ...error.context,
        file: path,
      });
    }
    throw error;
  }
}

/** Validates a layer that is not a file (environment, command line), naming where it came from. */
function parseLayer(origin: string, document: Record<string, unknown>): ConfigLayer {
  try {
    return parseConfigDocument(document);
  } catch (error) {
    if (error instanceof SharebridgeError) {
      throw new SharebridgeError(
        error.code,
        `${origin}: ${error.message.replace(/ \[[A-Z_]+\]$/, "")}`,
        error.context,
      );
    }
    throw error;
  }
}

/** The environment's layer: each variable is validated as the key it stands for. */
function environmentLayer(env: Readonly<Record<string, string | undefined>>): ConfigLayer {
  const document: Record<string, unknown> = {};
  const share: Record<string, unknown> = {};
  const set = (target: Record<string, unknown>, key: string, name: string) => {
    const value = env[name];
    if (value !== undefined && value !== "") target[key] = value;
  };
  set(document, "device", "SHAREBRIDGE_DEVICE");
  set(document, "stateDir", "SHAREBRIDGE_STATE_DIR");
  set(share, "region", "SHAREBRIDGE_SHARE_REGION");
  set(share, "server", "SHAREBRIDGE_SHARE_SERVER");
  set(share, "username", "SHAREBRIDGE_SHARE_USERNAME");
  set(share, "passwordFile", "SHAREBRIDGE_PASSWORD_FILE");
  if (Object.keys(share).length > 0) document["share"] = share;
  const listen = env["SHAREBRIDGE_HTTP_LISTEN"];
  if (listen !== undefined && listen !== "") document["http"] = { listen };
  const level = env["SHAREBRIDGE_LOG_LEVEL"];
  if (level !== undefined && level !== "") document["log"] = { level };
  return parseLayer("environment", document);
}

/** Region and server exclude each other: the highest layer that names either decides both. */
function shareEndpoint(layers: readonly ConfigLayer[]): {
  region?: string | undefined;
  server?: string | undefined;
} {
  for (let i = layers.length - 1; i >= 0; i--) {
    const share = layers[i]?.share;
    if (share?.region !== undefined || share?.server !== undefined) {
      return { region: share.region as string | undefined, server: share.server as string | undefined };
    }
  }
  return {};
}

/** Layers merged left to right; later layers win key by key. */
function merge(...layers: ConfigLayer[]): ConfigLayer {
  const out: ConfigLayer = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer) as [keyof ConfigLayer, unknown][]) {
      if (value === undefined) continue;
      if (typeof value === "object" && value !== null) {
        const previous = (out[key] ?? {}) as Record<string, unknown>;
        const next: Record<string, unknown> = { ...previous };
        for (const [k, v] of Object.entries(value)) if (v !== undefined) next[k] = v;
        (out as Record<string, unknown>)[key] = next;
      } else {
        (out as Record<string, unknown>)[key] = value;
      }
    }
  }
  return out;
}

export async function loadConfig(sources: ConfigSources = {}): Promise<LoadedConfig> {
  const env = sources.env ?? process.env;
  let file = sources.configPath ?? env["SHAREBRIDGE_CONFIG"];
  if (file === undefined || file === "") {
    const fallback = sources.defaultConfigFile ?? DEFAULT_CONFIG_FILE;
    file = (await exists(fallback)) ? fallback : undefined;
  }
  const packaged = sources.packagedDefaultsFile ?? PACKAGED_DEFAULTS_FILE;
  const layers = [
    (await exists(packaged)) ? await readConfigFile(packaged) : {},
    file === undefined ? {} : await readConfigFile(file),
    environmentLayer(env),
    parseLayer("command line", sources.flags ?? {}),
  ];
  const layer = merge(...layers);
  const share = { ...layer.share, ...shareEndpoint(layers) };
  const config: Config = {
    device: layer.device ?? DEFAULTS.device,
    stateDir: layer.stateDir ?? env["STATE_DIRECTORY"]?.split(":")[0] ?? DEFAULTS.stateDir,
    readingIntervalSeconds: layer.readingIntervalSeconds ?? DEFAULTS.readingIntervalSeconds,
    backfillHours: layer.backfillHours ?? DEFAULTS.backfillHours,
    clock: {
      mode: layer.clock?.mode ?? DEFAULTS.clockMode,
      assumeSynchronized: layer.clock?.assumeSynchronized ?? false,
    },
    share: {
      region: share.region as string | undefined,
      server: share.server as string | undefined,
      username: share.username as string | undefined,
      passwordFile: share.passwordFile as string | undefined,
      replaceReceiver: (share.replaceReceiver as boolean | undefined) ?? false,
    },
    http: { listen: layer.http?.listen ?? null },
    log: { level: layer.log?.level ?? "info" },
  };
  return { config: Object.freeze(config), file };
}

/**
 * The password file to read: share.passwordFile, else the systemd credential, else the Docker
 * secret. Undefined when none exists (the caller names all three in its error).
 */
export async function resolvePasswordFile(
  config: Config,
  env: Readonly<Record<string, string | undefined>> = process.env,
  dockerSecret = DOCKER_SECRET_FILE,
): Promise<{ path: string; source: string } | undefined> {
  if (config.share.passwordFile !== undefined)
    return { path: config.share.passwordFile, source: "share.passwordFile" };
  const credentials = env["CREDENTIALS_DIRECTORY"];
  if (credentials !== undefined && credentials !== "") {
    const path = join(credentials, CREDENTIAL_NAME);
    if (await exists(path)) return { path, source: "systemd credential" };
  }
  if (await exists(dockerSecret)) return { path: dockerSecret, source: "Docker secret" };
  return undefined;
}

/** The error for a missing password, naming every place looked at. */
export function noPasswordError(): SharebridgeError {
  return new SharebridgeError("CONFIG_INVALID", "no Share password was found", {
    key: "share.passwordFile",
    fix: `set share.passwordFile (or --password-file, or SHAREBRIDGE_PASSWORD_FILE), or provide it as the systemd credential ${CREDENTIAL_NAME} or the Docker secret ${DOCKER_SECRET_FILE}`,
  });
}

/** Parses `http.listen`: "HOST:PORT", "[v6]:PORT" or just "PORT" (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const value = text.trim();
  const match = /^\d{1,5}$/.test(value)
    ? ["", undefined, undefined, value]
    : /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SharebridgeError("CONFIG_INVALID", `http.listen: "${text}" is not HOST:PORT`, {
      key: "http.listen",
      fix: "write e.g. 127.0.0.1:9477, or null to turn the endpoint off",
    });
  }
  return { host: match[1] ?? match[2] ?? "127.0.0.1", port };
}
