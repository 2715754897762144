/**
 * After `sharebridge share login` succeeded: tell the daemon (through its state file) that the
 * operator confirmed the credentials, which lifts a refusal it remembers (src/sync/share-access.ts).
 * Only an existing state file is touched: `share login` on a machine without the daemon creates nothing.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { accountKey, SYNC_STATE_SCHEMA, withAccount } from "../sync/state.js";
import { withStateLock } from "../sync/state-lock.js";
import { STATE_FILE_NAME, StateStore } from "../sync/state-store.js";

/** The daemon holds the state directory while it runs: it cannot be told then. */
const LOGIN_LOCK = {
  command: "share login",
  waitMs: 10_000,
  fix: "the Share login itself succeeded. A daemon that reports refused credentials logs in again after: sudo systemctl stop sharebridge, this command again, sudo systemctl start sharebridge",
};

export async function recordLoginConfirmation(
  stateDir: string,
  origin: string,
  username: string,
  accountId: string,
  log: Logger,
  clock: Clock,
): Promise<boolean> {
  try {
    await access(join(stateDir, STATE_FILE_NAME));
  } catch {
    return false;
  }
  return withStateLock(stateDir, { ...LOGIN_LOCK, log }, async () => {
    const store = await StateStore.open(stateDir, SYNC_STATE_SCHEMA, { log });
    const confirmedAtMs = clock.now();
    await store.update((state) =>
      withAccount(state, accountKey(origin, username), () => ({
        accountId,
        login: { state: "closed", confirmedAtMs },
      })),
    );
    return true;
  });
}
