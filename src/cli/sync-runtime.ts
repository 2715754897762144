/**
 * What `run` and `sync` need, built from the configuration: the state store, the Share account,
 * the receiver opener and the host clock's synchronisation probe.
 */
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ShareRetry } from "../share/settings.js";
import { type OpenReceiverSession, openReceiverSession } from "../sync/receiver-session.js";
import { ShareAccess } from "../sync/share-access.js";
import { SYNC_STATE_SCHEMA, type SyncState } from "../sync/state.js";
import { StateStore } from "../sync/state-store.js";
import { detectHostSync, type HostSyncState } from "../time/host-sync.js";
import { deviceFromSpec, type OpenedDevice } from "./receiver-connection.js";

export interface SyncRuntime {
  readonly config: Config;
  readonly store: StateStore<SyncState>;
  readonly share: ShareAccess;
  readonly openReceiver: () => Promise<OpenReceiverSession>;
  readonly hostSync: () => Promise<HostSyncState>;
  close(): Promise<void>;
}

export async function buildSyncRuntime(
  config: Config,
  log: Logger,
  options: { retry?: ShareRetry; now?: () => number } = {},
): Promise<SyncRuntime> {
  const store = await StateStore.open(config.stateDir, SYNC_STATE_SCHEMA, { log });
  const share = await ShareAccess.create({
    config,
    store,
    log,
    now: options.now ?? Date.now,
    retry: options.retry,
  });
  let device: OpenedDevice | undefined;
  return {
    config,
    store,
    share,
    async openReceiver() {
      device ??= await deviceFromSpec(config.device, log);
      return openReceiverSession(device.opener, { log });
    },
    // `assumeSynchronized: false` in the file means "detect", not "assume unsynchronised".
    hostSync: () =>
      detectHostSync({ assumeSynchronized: config.clock.assumeSynchronized ? true : undefined }),
    async close() {
      await share.close();
      await device?.release();
    },
  };
}
