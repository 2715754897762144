/**
 * After `sharebridge share login` succeeded: tell the daemon that the operator confirmed the
 * credentials, which lifts a refusal it remembers (src/sync/share-access.ts). The confirmation goes
 * into a file of its own in the state directory (src/sync/login-confirmations.ts), never into the
 * state file the running daemon holds. Only a state directory the daemon has used is touched:
 * `share login` on a machine without the daemon creates nothing.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { recordLoginConfirmed } from "../sync/login-confirmations.js";
import { accountKey } from "../sync/state.js";
import { STATE_FILE_NAME } from "../sync/state-store.js";

export async function recordLoginConfirmation(
  stateDir: string,
  origin: string,
  username: string,
  log: Logger,
  clock: Clock,
): Promise<boolean> {
  try {
    await access(join(stateDir, STATE_FILE_NAME));
  } catch {
    return false;
  }
  await recordLoginConfirmed(stateDir, accountKey(origin, username), clock.now(), log);
  return true;
}
