/**
 * What the Share account is reached with: validated settings (with the password) and a fingerprint of
 * where the password came from (origin, account name, password file path, its size and modification
 * time — nothing derived from the password itself), so that a refusal remembered across restarts is
 * lifted when the operator changes any of them (share-api §3.4, §14.1).
 */
import type { ShareSettings } from "./settings.js";

export interface ShareCredentials {
  readonly settings: ShareSettings;
  readonly fingerprint: string;
}

/** Reads the credentials afresh (the password file may have changed since the last call). */
export type CredentialsProvider = () => Promise<ShareCredentials>;
