/**
 * Logins the operator confirmed with `sharebridge share login`, kept in a file of their own in the
 * state directory (`login-confirmations.json`), next to the daemon's state file:
 *
 *   { "version": 1, "accounts": { "<origin> <account name>": { "confirmedAtMs": … } } }
 *
 * Why a file of its own: the daemon holds its state file (one writer, state-lock.ts) and keeps it
 * in memory, so a second writer's change to it would be lost or would wait for the daemon to stop.
 * `share login` is the only writer of this file and the daemon only reads it, while Share refuses
 * its credentials (share-access.ts): a confirmation newer than the refusal lifts it. Nothing here is
 * a secret.
 */
import { join } from "node:path";
import type { Logger } from "../log.js";
import { inspectStateFile, StateStore } from "./state-store.js";

export const LOGIN_CONFIRMATIONS_FILE = "login-confirmations.json";

export interface LoginConfirmations {
  readonly version: 1;
  readonly accounts: Readonly<Record<string, { readonly confirmedAtMs: number }>>;
}

const empty = (): LoginConfirmations => ({ version: 1, accounts: {} });

function parse(document: unknown): LoginConfirmations {
  const accounts: Record<string, { confirmedAtMs: number }> = {};
  const raw =
    typeof document === "object" && document !== null
      ? (document as Record<string, unknown>)["accounts"]
      : {};
  if (typeof raw === "object" && raw !== null) {
    for (const [key, value] of Object.entries(raw)) {
      const at =
        typeof value === "object" && value !== null
          ? (value as Record<string, unknown>)["confirmedAtMs"]
          : undefined;
      if (key.length <= 600 && typeof at === "number" && Number.isFinite(at))
        accounts[key] = { confirmedAtMs: at };
    }
  }
  return { version: 1, accounts };
}

const SCHEMA = { parse, empty };

/** Records that the operator's login for `account` succeeded at `atMs` (`share login`). */
export async function recordLoginConfirmed(
  stateDir: string,
  account: string,
  atMs: number,
  log: Logger,
): Promise<void> {
  const store = await StateStore.open(stateDir, SCHEMA, { name: LOGIN_CONFIRMATIONS_FILE, log });
  await store.update((current) => ({
    version: 1,
    accounts: { ...current.accounts, [account]: { confirmedAtMs: atMs } },
  }));
}

/** When the operator last confirmed a login for `account`, if ever (read only, never repaired). */
export async function loginConfirmedAtMs(stateDir: string, account: string): Promise<number | undefined> {
  const found = await inspectStateFile(join(stateDir, LOGIN_CONFIRMATIONS_FILE), parse);
  return found.state === "ok" ? found.document.accounts[account]?.confirmedAtMs : undefined;
}
