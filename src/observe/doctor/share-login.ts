/**
 * Doctor: one login to Share and the receiver's assignment (share-api §3, §4; DESIGN.md §6).
 *
 * At most one login request, and none at all when the state file says Share refused these very
 * credentials (a refusal the password file has not changed since) or locked the account: every
 * failed login counts toward a lockout that then blocks even the right password (share-api §3.4).
 * The login breaker persisted by the daemon is read, never written: doctor's findings are its own.
 */
import { stat } from "node:fs/promises";
import { credentialFingerprint } from "../../config/credentials.js";
import { describeError, isSharebridgeError } from "../../errors.js";
import { ShareClient } from "../../share/client.js";
import { createShareSettings, INTERACTIVE_RETRY, type ShareTimeouts } from "../../share/settings.js";
import { accountKey, type PersistedLogin } from "../../sync/state.js";
import { configuredOrigin } from "../auth-state.js";
import { ageInWords, utcInWords } from "../words.js";
import { type Check, type CheckOutcome, fail, ok, skip, warn } from "./types.js";

/** An operator is waiting: seconds, not the daemon's patient defaults. */
const DOCTOR_TIMEOUTS: ShareTimeouts = { connectMs: 5_000, headersMs: 15_000, bodyMs: 15_000 };
/** The whole login (retries of transport failures included) and the assignment query, each. */
const SHARE_DEADLINE_MS = 45_000;

const CREDENTIALS_FIX_FIRST_PART =
  "check the account name, the password and the region: an account exists in one region only, and a wrong region answers exactly like a wrong password";
const CREDENTIALS_FIX = `${CREDENTIALS_FIX_FIRST_PART}; then run doctor again`;

/** Does a refusal remembered in the state file still hold for the credentials configured now? */
async function refusalStillHolds(
  refusal: PersistedLogin & { state: "credentials-rejected" },
  origin: string,
  username: string,
  passwordPath: string | undefined,
): Promise<boolean> {
  // `sharebridge share login` succeeding after the refusal lifts it (state.ts confirmedAtMs).
  if (refusal.confirmedAtMs !== undefined && refusal.confirmedAtMs > refusal.sinceMs) return false;
  if (passwordPath === undefined) return true;
  if (refusal.fingerprint !== undefined) {
    return refusal.fingerprint === (await credentialFingerprint(origin, username, passwordPath));
  }
  // No fingerprint recorded: the password file not modified since the refusal means nothing changed.
  try {
    return (await stat(passwordPath)).mtimeMs <= refusal.sinceMs;
  } catch {
    return false;
  }
}

function failureResult(error: unknown, origin: string): CheckOutcome {
  const message = describeError(error);
  if (isSharebridgeError(error, "SHARE_CREDENTIALS")) {
    const code = error.context["shareCode"];
    return fail(
      `Share refused the credentials${typeof code === "string" ? ` (${code})` : ""}; nothing was retried`,
      CREDENTIALS_FIX,
    );
  }
  if (isSharebridgeError(error, "SHARE_LOCKED_OUT")) {
    return fail(
      "Share says the account is locked after too many failed logins",
      "make no login for at least 30 minutes (sharebridge waits by itself) and check the password meanwhile",
    );
  }
  if (isSharebridgeError(error, "SHARE_UNAVAILABLE") || isSharebridgeError(error, "ABORTED")) {
    return fail(
      `could not reach Share at ${origin}: ${message}`,
      "check the network connection, DNS and any proxy; if Share itself is down, try again later",
    );
  }
  return fail(
    message,
    "try again later; if it persists, report it with the output of `sharebridge share login --log-level debug`",
  );
}

export const loginCheck: Check = {
  id: "login",
  label: "Share login",
  async run({ config, env, facts, log, signal }) {
    const username = config.share.username;
    let origin: string | undefined;
    try {
      origin = configuredOrigin(config);
    } catch {
      origin = undefined;
    }
    if (facts.password === undefined || origin === undefined || username === undefined) {
      return skip("needs the Share account and the password above");
    }
    const entry = facts.state?.accounts[accountKey(origin, username)];
    const breaker = entry?.login;
    const nowMs = env.now();
    if (breaker?.state === "locked-out" && nowMs < breaker.untilMs) {
      return fail(
        `Share locked the account until ${utcInWords(breaker.untilMs)} (${ageInWords(breaker.untilMs, nowMs)}, ${breaker.reason}); no login before then`,
        "wait, and make sure the password is right meanwhile: each failed login can extend the lockout",
      );
    }
    if (
      breaker?.state === "credentials-rejected" &&
      (await refusalStillHolds(breaker, origin, username, facts.passwordFile))
    ) {
      return fail(
        `Share refused these credentials ${ageInWords(breaker.sinceMs, nowMs)} (${breaker.reason}) and neither the configuration nor the password file changed since; not trying them again`,
        `${CREDENTIALS_FIX_FIRST_PART}; after correcting them, run doctor again or \`sharebridge share login\``,
      );
    }

    const settings = createShareSettings({
      region: config.share.region,
      server: config.share.server,
      username,
      password: facts.password,
      replaceReceiver: config.share.replaceReceiver === "always",
      applicationId: config.share.applicationId,
      retry: INTERACTIVE_RETRY,
      timeouts: DOCTOR_TIMEOUTS,
    });
    const client = new ShareClient({
      settings,
      log,
      clock: { now: env.now },
      knownAccountId: entry?.accountId,
    });
    try {
      const { accountId } = await client.login(
        AbortSignal.any([signal, AbortSignal.timeout(SHARE_DEADLINE_MS)]),
      );
      facts.client = client;
      return ok(`logged in as ${username} (account id ${accountId})`);
    } catch (error) {
      await client.close();
      return failureResult(error, origin);
    }
  },
};

export const assignmentCheck: Check = {
  id: "assignment",
  label: "receiver assignment",
  async run({ facts, signal }) {
    const { client, serial } = facts;
    if (client === undefined) return skip("needs a successful Share login");
    if (serial === undefined) return skip("needs the receiver's serial number (it did not answer)");
    try {
      const status = await client.assignmentStatus(
        serial,
        AbortSignal.any([signal, AbortSignal.timeout(SHARE_DEADLINE_MS)]),
      );
      switch (status) {
        case "AssignedToYou":
          return ok(`${serial} is this account's receiver`);
        case "NotAssigned":
          return warn(
            `${serial} is not assigned to this account yet`,
            "nothing to do if the account has no other receiver: the first sync assigns it; if it monitors another one, set share.replaceReceiver to always to let sharebridge take its place",
          );
        case "AssignedToSomeoneElse":
          return fail(
            `${serial} is assigned to another Share account`,
            "release the receiver from that account (log in to it, or ask its owner), then run doctor again",
          );
      }
    } catch (error) {
      return fail(describeError(error), "run doctor again; if it persists, check Share's status");
    }
  },
};
