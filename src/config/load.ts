/**
 * Where the configuration comes from, lowest precedence first:
 *
 *   defaults (schema.ts) < packaged defaults (PACKAGED_DEFAULTS_FILE, the Docker image's)
 *     < the JSON file < environment variables < command-line flags
 *
 * The file: `--config FILE`, else $SHAREBRIDGE_CONFIG, else /etc/sharebridge/config.json when it
 * exists, else none (flags and environment alone are enough, e.g. in Docker).
 *
 * Each key's environment variable is declared with it in schema.ts (the README lists them all);
 * systemd adds STATE_DIRECTORY (the state directory's default) and CREDENTIALS_DIRECTORY (where
 * LoadCredential= puts the password).
 *
 * The password is never in the configuration: it is read from share.passwordFile, else
 * $CREDENTIALS_DIRECTORY/share-password (systemd LoadCredential=share-password:…), else
 * /run/secrets/share-password (a Docker secret named share-password).
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import { SharebridgeError } from "../errors.js";
import { describeJsonProblem, parseJsonText } from "../util/json-text.js";
import { readSmallTextFile } from "../util/small-file.js";
import { buildConfig, documentFromTexts, type Layer, mergeLayers, parseDocument } from "./layers.js";
import { type Config, DECLARED_KEYS } from "./schema.js";

export const DEFAULT_CONFIG_FILE = "/etc/sharebridge/config.json";
export const CONFIG_FILE_VARIABLE = "SHAREBRIDGE_CONFIG";
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
  /** The default file looked for when none was named (and found absent when `file` is undefined). */
  readonly defaultFile: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The configuration file's JSON. Errors name the file, and for a syntax error the line, the column
 * and what was expected there, never the text: `--config` pointing at the password file must not
 * print the password.
 */
async function readConfigFile(path: string): Promise<unknown> {
  const text = await readSmallTextFile(path, {
    name: "the configuration",
    maxBytes: MAX_CONFIG_BYTES,
    fix: {
      notAFile: "give the path of a JSON file",
      tooLarge: "give the configuration file, not another one",
      unreadable: (errno) => (errno === "ENOENT" ? "check the path" : "check the file's permissions"),
    },
  });
  // Never quote the file: --config pointed at the password file must not print the password.
  const parsed = await parseJsonText(text);
  if (!parsed.ok) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      `${path} is not valid JSON: ${describeJsonProblem(parsed.problem)}`,
      {
        file: path,
        line: parsed.problem.line,
        column: parsed.problem.column,
        fix: "check commas and quotes; comments are not allowed in JSON",
      },
    );
  }
  return parsed.value;
}

/** The environment's layer: each declared variable, validated as the key it stands for. */
function environmentLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const texts = new Map<string, string>();
  for (const { path, spec } of DECLARED_KEYS) {
    const value = env[spec.env];
    if (value !== undefined && value !== "") texts.set(path, value);
  }
  return parseDocument(documentFromTexts(texts), "environment");
}

/** The file named (`--config`, $SHAREBRIDGE_CONFIG), else the default one when it exists. */
async function configFile(sources: ConfigSources, env: Readonly<Record<string, string | undefined>>) {
  const defaultFile = sources.defaultConfigFile ?? DEFAULT_CONFIG_FILE;
  const named = sources.configPath ?? env[CONFIG_FILE_VARIABLE];
  if (named !== undefined && named !== "") return { file: named, defaultFile };
  return { file: (await exists(defaultFile)) ? defaultFile : undefined, defaultFile };
}

export async function loadConfig(sources: ConfigSources = {}): Promise<LoadedConfig> {
  const env = sources.env ?? process.env;
  const { file, defaultFile } = await configFile(sources, env);
  const packaged = sources.packagedDefaultsFile ?? PACKAGED_DEFAULTS_FILE;
  const layers = [
    (await exists(packaged)) ? parseDocument(await readConfigFile(packaged), packaged) : new Map(),
    file === undefined ? new Map() : parseDocument(await readConfigFile(file), file),
    environmentLayer(env),
    parseDocument(sources.flags ?? {}, "command line"),
  ];
  return { config: buildConfig(mergeLayers(layers), env), file, defaultFile };
}

/**
 * The password file to read: share.passwordFile, else the systemd credential, else the Docker
 * secret. Undefined when none exists (the caller names all three in its error).
 */
export function resolvePasswordFile(
  config: Config,
  env: Readonly<Record<string, string | undefined>> = process.env,
  dockerSecret = DOCKER_SECRET_FILE,
): Promise<{ path: string; source: string } | undefined> {
  return resolveSecretFile(
    { path: config.share.passwordFile, key: "share.passwordFile", credential: CREDENTIAL_NAME, dockerSecret },
    env,
  );
}

/**
 * A secret's file: the configured path (`key`), else the systemd credential named `credential` in
 * $CREDENTIALS_DIRECTORY, else the Docker secret file. Undefined when none exists.
 */
export async function resolveSecretFile(
  where: {
    readonly path: string | undefined;
    readonly key: string;
    readonly credential: string;
    readonly dockerSecret: string;
  },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ path: string; source: string } | undefined> {
  if (where.path !== undefined) return { path: where.path, source: where.key };
  const credentials = env["CREDENTIALS_DIRECTORY"];
  if (credentials !== undefined && credentials !== "") {
    const path = join(credentials, where.credential);
    if (await exists(path)) return { path, source: "systemd credential" };
  }
  if (await exists(where.dockerSecret)) return { path: where.dockerSecret, source: "Docker secret" };
  return undefined;
}

/** The error for a missing password, naming every place looked at. */
export function noPasswordError(): SharebridgeError<"CONFIG_INVALID"> {
  return new SharebridgeError("CONFIG_INVALID", "no Share password was found", {
    key: "share.passwordFile",
    fix: `set share.passwordFile (or --password-file, or SHAREBRIDGE_PASSWORD_FILE), or provide it as the systemd credential ${CREDENTIAL_NAME} or the Docker secret ${DOCKER_SECRET_FILE}`,
  });
}

/**
 * A configuration from one document, every other key at its default, validated as a file is: for
 * the demo and tests, so that adding a key never means editing every hand-made configuration.
 */
export function configFromDocument(
  document: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>> = {},
): Config {
  return buildConfig(parseDocument(document, "configuration"), env);
}
