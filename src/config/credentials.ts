/**
 * The Share credentials from the configuration (DESIGN.md §8): the password file named by
 * share.passwordFile, else the systemd credential, else the Docker secret (load.ts), read afresh on
 * every call, with the fingerprint the daemon and `doctor` compare across restarts.
 */
import { stat } from "node:fs/promises";
import type { CredentialsProvider, ShareCredentials } from "../share/credentials.js";
import { createShareSettings, readPasswordFile, type ShareRetry } from "../share/settings.js";
import { noPasswordError, resolvePasswordFile } from "./load.js";
import type { Config } from "./schema.js";

/**
 * The credentials' source, as compared across restarts and by `doctor`: origin, account name,
 * password file path, its size and modification time — nothing derived from the password itself.
 */
export async function credentialFingerprint(
  origin: string,
  username: string,
  passwordPath: string,
): Promise<string> {
  let file = "missing";
  try {
    const info = await stat(passwordPath);
    file = `${info.size}:${Math.trunc(info.mtimeMs)}`;
  } catch {
    // the file vanished: a change in itself
  }
  return `${origin} ${username} ${passwordPath} ${file}`;
}

export async function loadShareCredentials(
  config: Config,
  retry: ShareRetry,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ShareCredentials> {
  const source = await resolvePasswordFile(config, env);
  if (source === undefined) throw noPasswordError();
  const password = await readPasswordFile(source.path);
  const settings = createShareSettings({
    region: config.share.region,
    server: config.share.server,
    username: config.share.username,
    password,
    replaceReceiver: config.share.replaceReceiver,
    applicationId: config.share.applicationId,
    requestDeadlineMs: config.share.requestDeadlineSeconds * 1000,
    retry,
  });
  return {
    settings,
    fingerprint: await credentialFingerprint(settings.origin, settings.username, source.path),
  };
}

/** A provider for the daemon: reads the configuration's credentials each time it is asked. */
export function credentialsFromConfig(
  config: Config,
  retry: ShareRetry,
  env: Readonly<Record<string, string | undefined>> = process.env,
): CredentialsProvider {
  return () => loadShareCredentials(config, retry, env);
}
