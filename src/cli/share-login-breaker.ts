/**
 * `share login` goes through the daemon's login breaker (share-api §3.4, §18.8): a refusal or a
 * lockout the daemon remembers in its state file stops `share login` too, without a request, and a
 * refusal `share login` meets is remembered there for the daemon and the next `share login`. So
 * five runs with a wrong password make one login request, not five towards Share's lockout.
 *
 * - The state file exists: the breaker and account id come through src/sync/share-access.ts, exactly
 *   as the daemon loads and saves them (refusals tied to the credentials' fingerprint).
 * - It does not: a plain client; the state file is created only when there is something to
 *   remember (a refusal, a lockout, a wait), so a successful check on a machine without the daemon
 *   leaves nothing behind.
 */
import { join } from "node:path";
import type { Clock } from "../clock.js";
import { credentialFingerprint, credentialsFromConfig } from "../config/credentials.js";
import { resolvePasswordFile } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { isSharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { ShareClient } from "../share/client.js";
import { INTERACTIVE_RETRY, type ShareSettings } from "../share/settings.js";
import { ShareAccess } from "../sync/share-access.js";
import { accountKey, SYNC_STATE_SCHEMA, withAccount } from "../sync/state.js";
import { withStateLock } from "../sync/state-lock.js";
import { readStateFile, STATE_FILE_NAME, StateStore } from "../sync/state-store.js";

export interface ShareLoginBreaker {
  readonly client: ShareClient;
  /** Where the breaker is kept, when it is kept at all. */
  readonly stateFile: string;
  /** Saves the breaker and the account id to the state file when there is something to keep. */
  save(): Promise<void>;
  close(): Promise<void>;
}

export async function openShareLoginBreaker(
  config: Config,
  settings: ShareSettings,
  log: Logger,
  clock: Clock,
): Promise<ShareLoginBreaker> {
  const stateFile = join(config.stateDir, STATE_FILE_NAME);
  if ((await readStateFile(stateFile)) !== undefined) {
    const store = await StateStore.open(config.stateDir, SYNC_STATE_SCHEMA, { log });
    const shared = await ShareAccess.create({
      credentials: credentialsFromConfig(config, INTERACTIVE_RETRY),
      store,
      log,
      clock,
    });
    return {
      client: shared.client,
      stateFile,
      save: () => whenDaemonAway(config.stateDir, log, () => shared.persist()),
      close: () => shared.close(),
    };
  }
  const client = new ShareClient({ settings, log, clock });
  return {
    client,
    stateFile,
    async save() {
      const state = client.loginState;
      if (state.state === "closed" && state.notBeforeMs === undefined) return;
      const passwordFile = await resolvePasswordFile(config);
      const fingerprint =
        passwordFile === undefined
          ? undefined
          : await credentialFingerprint(settings.origin, settings.username, passwordFile.path);
      await whenDaemonAway(config.stateDir, log, async () => {
        const store = await StateStore.open(config.stateDir, SYNC_STATE_SCHEMA, { log });
        await store.update((current) =>
          withAccount(current, accountKey(settings.origin, settings.username), (entry) => ({
            ...entry,
            accountId: client.accountId ?? entry.accountId,
            login: { ...state, fingerprint },
          })),
        );
      });
    },
    close: () => client.close(),
  };
}

/**
 * Writes the state file only while no daemon holds it (state-lock.ts): a running daemon keeps its
 * own breaker, and a second writer's change would be lost under it. Then nothing is remembered here.
 */
async function whenDaemonAway(stateDir: string, log: Logger, write: () => Promise<void>): Promise<void> {
  try {
    await withStateLock(stateDir, { command: "share login", log }, write);
  } catch (error) {
    if (!isSharebridgeError(error, "STATE_LOCKED")) throw error;
    log.debug({ stateDir }, "the daemon holds the state directory; its own login breaker applies");
  }
}
