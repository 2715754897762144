/**
 * After `sharebridge share login` succeeded: tell the daemon (through its state file) that the
 * operator confirmed the credentials, which lifts a refusal it remembers (src/sync/share-access.ts).
 * Only an existing state file is touched: `share login` on a machine without the daemon creates nothing.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, systemClock } from "../clock.js";
import type { Logger } from "../log.js";
import { accountKey, SYNC_STATE_SCHEMA, withAccount } from "../sync/state.js";
import { STATE_FILE_NAME, StateStore } from "../sync/state-store.js";

export async function recordLoginConfirmation(
  stateDir: string,
  origin: string,
  username: string,
  accountId: string,
  log: Logger,
  clock: Clock = systemClock,
): Promise<boolean> {
  try {
    await access(join(stateDir, STATE_FILE_NAME));
  } catch {
    return false;
  }
  const store = await StateStore.open(stateDir, SYNC_STATE_SCHEMA, { log });
  const confirmedAtMs = clock.now();
  await store.update((state) =>
    withAccount(state, accountKey(origin, username), () => ({
      accountId,
      login: { state: "closed", confirmedAtMs },
    })),
  );
  return true;
}
