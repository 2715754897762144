/**
 * Configuration keys as command-line flags, derived from the declaration (src/config/schema.ts):
 * which flags a command takes, their usage lines, and their values as a configuration document
 * that loadConfig validates like the file. `run`, `sync`, `status` and `doctor` take every config
 * flag; the `share` commands those of the `share.*` keys and `--state-dir`; `--device` and
 * `--log-level` are global (src/cli/index.ts).
 */
import { documentFromTexts } from "../config/layers.js";
import { type LoadedConfig, loadConfig } from "../config/load.js";
import { DECLARED_KEYS, type DeclaredKey } from "../config/schema.js";
import type { OptionSpec, OptionValues } from "./command.js";
import { stringOption } from "./option-values.js";

/** Keys with a flag, except the global ones. */
const FLAGGED_KEYS = DECLARED_KEYS.filter(
  (key) => key.spec.flag !== undefined && key.spec.flag.global !== true,
);
/** Keys whose flag every command takes. */
export const GLOBAL_FLAG_KEYS = DECLARED_KEYS.filter((key) => key.spec.flag?.global === true);

function optionsOf(keys: readonly DeclaredKey[]): OptionSpec {
  return Object.fromEntries(keys.map((key) => [key.spec.flag?.name as string, { type: "string" as const }]));
}

/** The column where a flag's help starts in usage text. */
const HELP_COLUMN = 30;

/**
 * One usage entry per flag: `  --state-dir DIR             Where the state file state.json lives. [stateDir]`;
 * a flag too long for the column puts its help on the next line.
 */
export function flagUsage(keys: readonly DeclaredKey[]): string {
  return keys
    .map((key) => {
      const head = `  --${key.spec.flag?.name} ${key.spec.flag?.value}`;
      const range =
        key.spec.kind === "integer" ? ` (${key.spec.typeText}; default ${String(key.spec.default)})` : "";
      const help = `${key.spec.help.replaceAll("`", "")}${range} [${key.path}]`;
      return head.length + 2 <= HELP_COLUMN
        ? `${head.padEnd(HELP_COLUMN)}${help}`
        : `${head}\n${" ".repeat(HELP_COLUMN)}${help}`;
    })
    .join("\n");
}

/** The flags of `run`, `sync`, `status` and `doctor`. */
export const CONFIG_FLAG_OPTIONS: OptionSpec = optionsOf(FLAGGED_KEYS);
export const CONFIG_FLAGS_USAGE = flagUsage(FLAGGED_KEYS);

/** The flags of the `share` commands: the account's, and the state directory (for `share login`). */
const SHARE_FLAG_KEYS = FLAGGED_KEYS.filter(
  (key) => key.path.startsWith("share.") || key.path === "stateDir",
);
export const SHARE_FLAG_OPTIONS: OptionSpec = optionsOf(SHARE_FLAG_KEYS);
export const SHARE_FLAGS_USAGE = flagUsage(SHARE_FLAG_KEYS);

/** The global flags' usage lines (`--device`, `--log-level`). */
export const GLOBAL_FLAGS_USAGE = flagUsage(GLOBAL_FLAG_KEYS);
export const GLOBAL_FLAG_OPTIONS: OptionSpec = optionsOf(GLOBAL_FLAG_KEYS);

/** The config flags given, as a partial configuration document (loadConfig validates it like the file). */
export function flagDocument(values: OptionValues): Record<string, unknown> {
  const texts = new Map<string, string>();
  for (const key of DECLARED_KEYS) {
    const name = key.spec.flag?.name;
    const text = name === undefined ? undefined : stringOption(values, name);
    if (text !== undefined) texts.set(key.path, text);
  }
  return documentFromTexts(texts);
}

/** The configuration as a command sees it: file and environment, overridden by its flags. */
export function configFromOptions(
  values: OptionValues,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LoadedConfig> {
  return loadConfig({ configPath: stringOption(values, "config"), env, flags: flagDocument(values) });
}
