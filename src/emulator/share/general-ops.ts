/**
 * `General/*`: the server clock and the three login operations (share-api §3.1, §5.3 item 1).
 *
 * Credential checks share one path so the lockout counts every failure the same way: N consecutive
 * failures lock the account, and while locked every login answers the lockout code, even with the
 * right password (share-api §14.2).
 */
import { formatShareDate } from "../../share/dates.js";
import { APPLICATION_ID_DEFAULT, APPLICATION_ID_JAPAN, type ShareRegion } from "../../share/regions.js";
import { isUuid, NULL_UUID } from "../../share/uuid.js";
import type { ShareEmulatorKnobs } from "./knobs.js";
import type { AccountRecord } from "./model.js";
import {
  bodyObject,
  fault,
  invalidArgument,
  json,
  nonEmptyString,
  type OpContext,
  type Operation,
  type Reply,
} from "./operation.js";

type Verdict = "ok" | "locked" | "wrong";

function verify(ctx: OpContext, account: AccountRecord, password: string): Verdict {
  if (account.lockedUntilMs > ctx.now) return "locked";
  if (password !== account.password) {
    account.failedLogins++;
    if (account.failedLogins >= ctx.knobs.lockout.attempts) {
      account.lockedUntilMs = ctx.now + ctx.knobs.lockout.ms;
      account.failedLogins = 0;
    }
    return "wrong";
  }
  account.failedLogins = 0;
  return "ok";
}

function credentialFault(knobs: ShareEmulatorKnobs, reason: "not-found" | "password"): Reply {
  if (knobs.credentialFaultStyle === "sso") {
    return reason === "not-found"
      ? fault("SSO_AuthenticateAccountNotFound", "Account not found.")
      : fault("SSO_AuthenticatePasswordInvalid", "Simulate SSO: Authentication failed.");
  }
  return fault("AccountPasswordInvalid", "Publisher account password failed");
}

function lockoutFault(knobs: ShareEmulatorKnobs): Reply {
  return fault(
    `SSO_AuthenticateMaxAttempts${knobs.lockout.codeSpelling}`,
    "Maximum authentication attempts exceeded.",
  );
}

function applicationIdAccepted(knobs: ShareEmulatorKnobs, region: ShareRegion, id: string): boolean {
  const wanted = id.toLowerCase();
  if (knobs.strictApplicationId)
    return wanted === (region === "jp" ? APPLICATION_ID_JAPAN : APPLICATION_ID_DEFAULT);
  return wanted === APPLICATION_ID_DEFAULT || wanted === APPLICATION_ID_JAPAN;
}

/** Validates a login body: the identity field, password and application id. */
/** The answer to a login with `password`: a lockout or credential fault, or `success()`. */
function loginAnswer(ctx: OpContext, account: AccountRecord, password: string, success: () => Reply): Reply {
  const verdict = verify(ctx, account, password);
  if (verdict === "locked") return lockoutFault(ctx.knobs);
  if (verdict === "wrong") return credentialFault(ctx.knobs, "password");
  return success();
}

function loginFields(ctx: OpContext, identityField: "accountName" | "accountId"): [string, string] | Reply {
  const body = bodyObject(ctx.body);
  const identity = body?.[identityField];
  const password = body?.["password"];
  const applicationId = body?.["applicationId"];
  if (!nonEmptyString(identity)) return invalidArgument(identityField);
  if (identityField === "accountId" && !isUuid(identity)) return invalidArgument("UUID");
  if (!nonEmptyString(password)) return invalidArgument("password");
  if (!isUuid(applicationId) || !applicationIdAccepted(ctx.knobs, ctx.region, applicationId)) {
    return invalidArgument("applicationId");
  }
  return [identity, password];
}

const lookupRegion = (ctx: OpContext) => (ctx.knobs.regionSeparation ? ctx.region : undefined);

/** An e-mail or phone identity: these never get a session from the by-name login since 2021. */
const isEmailOrPhone = (identity: string) =>
  /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(identity) || /^\+\d+$/.test(identity);

export const GENERAL_OPERATIONS: Readonly<Record<string, Operation>> = {
  "General/SystemUtcTime": {
    method: "GET",
    auth: "none",
    mutates: false,
    handle: (ctx) => json({ DateTime: formatShareDate(Math.floor(ctx.now / 1000)), OffsetMinutes: 0 }),
  },

  /** Account name + password → account id (share-api §3.1, §15 #2). */
  "General/AuthenticatePublisherAccount": {
    method: "POST",
    auth: "none",
    mutates: false,
    handle(ctx) {
      const fields = loginFields(ctx, "accountName");
      if (!Array.isArray(fields)) return fields;
      const account = ctx.state.findByIdentity(lookupRegion(ctx), fields[0]);
      if (account === undefined) return credentialFault(ctx.knobs, "not-found");
      return loginAnswer(ctx, account, fields[1], () => json(account.accountId));
    },
  },

  /** Account id + password → session id (share-api §3.1). */
  "General/LoginPublisherAccountById": {
    method: "POST",
    auth: "none",
    mutates: false,
    handle(ctx) {
      const fields = loginFields(ctx, "accountId");
      if (!Array.isArray(fields)) return fields;
      const account = ctx.state.findById(lookupRegion(ctx), fields[0]);
      // An unknown account id answers like a wrong password (share-api §3.1).
      if (account === undefined) return credentialFault(ctx.knobs, "password");
      return loginAnswer(ctx, account, fields[1], () =>
        json(ctx.state.openSession(account, ctx.now).sessionId),
      );
    },
  },

  /**
   * The legacy one-step login (share-api §3.1). Modern behaviour: a session only for a classic user
   * name with the right password, otherwise HTTP 200 with the null UUID.
   */
  "General/LoginPublisherAccountByName": {
    method: "POST",
    auth: "none",
    mutates: false,
    handle(ctx) {
      const fields = loginFields(ctx, "accountName");
      if (!Array.isArray(fields)) return fields;
      const [identity, password] = fields;
      const legacy = ctx.knobs.byNameStyle === "legacy-faults";
      const account = ctx.state.findByIdentity(lookupRegion(ctx), identity);
      if (account === undefined) {
        return legacy ? fault("SSO_AuthenticateAccountNotFound", "Account not found.") : json(NULL_UUID);
      }
      if (!legacy && (isEmailOrPhone(identity) || identity.toLowerCase() !== account.name.toLowerCase())) {
        return json(NULL_UUID);
      }
      const verdict = verify(ctx, account, password);
      if (verdict === "ok") return json(ctx.state.openSession(account, ctx.now).sessionId);
      if (!legacy) return json(NULL_UUID);
      return verdict === "locked"
        ? lockoutFault(ctx.knobs)
        : fault("SSO_AuthenticatePasswordInvalid", "Simulate SSO: Authentication failed.");
    },
  },
};
