/**
 * The configuration as a command sees it: the file and environment (src/config/load.ts) overridden
 * by the command's own flags. `run`, `sync`, `status` and `doctor` share these flags; `--config` and
 * `--device` are global options.
 */
import { type LoadedConfig, loadConfig } from "../config/load.js";
import { SharebridgeError } from "../errors.js";
import type { OptionSpec, OptionValues } from "./command.js";

export const CONFIG_FLAG_OPTIONS: OptionSpec = {
  region: { type: "string" },
  server: { type: "string" },
  username: { type: "string" },
  "password-file": { type: "string" },
  "state-dir": { type: "string" },
  "reading-interval": { type: "string" },
  "backfill-hours": { type: "string" },
};

export const CONFIG_FLAGS_USAGE = `  --region us|ous|jp        the Share region of the account (overrides share.region)
  --server URL              a Share-compatible server instead (e.g. the emulator; plain http only on loopback)
  --username NAME           the Share account name (overrides share.username)
  --password-file FILE      a file holding the Share password on one line (overrides share.passwordFile)
  --state-dir DIR           where the state file lives (overrides stateDir)
  --reading-interval S      the receiver's reading cadence in seconds (default 300)
  --backfill-hours N        how far back a first run or a long gap posts (default 24)`;

function text(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new SharebridgeError("USAGE", `--${name} needs a value`, { option: name });
  }
  return value;
}

function whole(values: OptionValues, name: string): number | undefined {
  const raw = text(values, name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new SharebridgeError("USAGE", `--${name} must be a whole number, got "${raw}"`, { option: name });
  }
  return Number(raw);
}

/** The flags as a partial configuration document (loadConfig validates it like the file). */
export function flagDocument(values: OptionValues): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  const share: Record<string, unknown> = {};
  const put = (target: Record<string, unknown>, key: string, value: unknown) => {
    if (value !== undefined) target[key] = value;
  };
  put(document, "device", text(values, "device"));
  put(document, "stateDir", text(values, "state-dir"));
  put(document, "readingIntervalSeconds", whole(values, "reading-interval"));
  put(document, "backfillHours", whole(values, "backfill-hours"));
  put(share, "region", text(values, "region"));
  put(share, "server", text(values, "server"));
  put(share, "username", text(values, "username"));
  put(share, "passwordFile", text(values, "password-file"));
  if (Object.keys(share).length > 0) document["share"] = share;
  const level = text(values, "log-level");
  if (level !== undefined) document["log"] = { level };
  return document;
}

export function configFromOptions(values: OptionValues): Promise<LoadedConfig> {
  return loadConfig({ configPath: text(values, "config"), flags: flagDocument(values) });
}
