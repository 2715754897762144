/**
 * The options every `sharebridge share ...` command takes, and the one way they become a Share
 * client: `--region us|ous|jp` or `--server URL`, `--username NAME`, `--password-file FILE`.
 *
 * Interactive commands use short transient retries (seconds, not the daemon's minutes) and never
 * retry a refused password: the client's login breaker sees to that.
 */

import { type LoadedConfig, resolvePasswordFile } from "../config/load.js";
import { SharebridgeError } from "../errors.js";
import { ShareClient } from "../share/client.js";
import { SHARE_REGIONS } from "../share/regions.js";
import { INTERACTIVE_RETRY, type ShareSettings, shareSettingsFromSources } from "../share/settings.js";
import type { CommandContext, OptionSpec, OptionValues } from "./command.js";
import { configFromOptions } from "./config-options.js";

export const SHARE_OPTIONS: OptionSpec = {
  region: { type: "string" },
  server: { type: "string" },
  username: { type: "string" },
  "password-file": { type: "string" },
};

export const SHARE_OPTIONS_USAGE = `  --region ${SHARE_REGIONS.join("|")}        the Share region of the account (a wrong region looks like a wrong password)
  --server URL              a Share-compatible server instead, e.g. the emulator: scheme, host and port
                            (the client adds /ShareWebServices/Services/; plain http only on loopback)
  --username NAME           the Share account name (user name, e-mail address or +phone)
  --password-file FILE      a file holding the password on one line`;

function usage(message: string, option: string): never {
  throw new SharebridgeError("USAGE", message, { option });
}

/** A string option's value, or undefined; an empty value is a usage error. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") usage(`--${name} needs a value`, name);
  return value;
}

/** A whole-number option within [min, max]. */
export function integerOption(
  values: OptionValues,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = /^-?[0-9]{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    usage(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`, name);
  }
  return value;
}

/**
 * Builds the validated settings from the share options over the configuration (file, environment):
 * flags win, and the password comes from --password-file, share.passwordFile, the systemd credential
 * or the Docker secret, as for the daemon (src/config/load.ts).
 */
export async function shareSettingsFromOptions(values: OptionValues): Promise<ShareSettings> {
  const { config } = await shareConfigFromOptions(values);
  if (config.share.region === undefined && config.share.server === undefined) {
    usage("give --region or --server (or share.region in the configuration)", "region");
  }
  if (config.share.username === undefined) {
    usage("give --username (or share.username in the configuration)", "username");
  }
  const password = await resolvePasswordFile(config);
  if (password === undefined)
    usage("give --password-file (or share.passwordFile in the configuration)", "password-file");
  return shareSettingsFromSources({
    region: config.share.region,
    server: config.share.server,
    username: config.share.username,
    passwordFile: password.path,
    replaceReceiver: config.share.replaceReceiver,
    retry: INTERACTIVE_RETRY,
  });
}

/** The configuration as the share commands see it (their flags over file and environment). */
export function shareConfigFromOptions(values: OptionValues): Promise<LoadedConfig> {
  const region = stringOption(values, "region");
  const server = stringOption(values, "server");
  if (region !== undefined && server !== undefined)
    usage("give exactly one of --region or --server", "region");
  return configFromOptions(values);
}

/** Runs `work` with a client built from the options, closing it afterwards. */
export async function withShareClient<T>(
  ctx: CommandContext,
  work: (client: ShareClient) => Promise<T>,
  prepared?: ShareSettings,
): Promise<T> {
  const settings = prepared ?? (await shareSettingsFromOptions(ctx.values));
  const client = new ShareClient({ settings, log: ctx.log });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
