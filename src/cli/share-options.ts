/**
 * The one way the `sharebridge share ...` commands get a Share client: from the configuration the
 * dispatcher loaded (file < environment < the commands' flags `--region` or `--server`,
 * `--username`, `--password-file`, declared in src/config/schema.ts), already validated, and
 * checked complete before the command started (`requiresShareAccount`). The password comes from
 * share.passwordFile, the systemd credential or the Docker secret, as for the daemon.
 *
 * Interactive commands use short transient retries (seconds, not the daemon's minutes) and never
 * retry a refused password: the client's login breaker sees to that.
 */

import { loadShareCredentials } from "../config/credentials.js";
import type { Config } from "../config/schema.js";
import { ShareClient } from "../share/client.js";
import { INTERACTIVE_RETRY, type ShareSettings } from "../share/settings.js";
import type { CommandContext } from "./command.js";

/** The validated settings for the configured account (the password file is read here). */
export async function shareSettingsFromConfig(config: Config): Promise<ShareSettings> {
  return (await loadShareCredentials(config, INTERACTIVE_RETRY)).settings;
}

/** Runs `work` with a client for the configured account, closing it afterwards. */
export async function withShareClient<T>(
  ctx: CommandContext,
  work: (client: ShareClient) => Promise<T>,
  prepared?: ShareSettings,
): Promise<T> {
  const settings = prepared ?? (await shareSettingsFromConfig(ctx.config));
  const client = new ShareClient({ settings, log: ctx.log });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
