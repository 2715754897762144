/**
 * `Publisher/*` operations about the account itself: the monitored receiver, the remote monitoring
 * session, runtime info, logout (share-api §4, §5.1 items 5–10, §5.3, §8.3).
 */
import type { AccountRecord } from "./model.js";
import {
  type AuthedContext,
  bodyObject,
  empty,
  fault,
  invalidArgument,
  json,
  nonEmptyString,
  type Operation,
} from "./operation.js";

/** Whether the account's monitoring session is on, honouring the monitoringTtlMs knob. */
export function monitoringActive(ctx: AuthedContext, account: AccountRecord): boolean {
  const ttl = ctx.knobs.monitoringTtlMs;
  return account.monitoring.active && (ttl === null || ctx.now - account.monitoring.startedMs < ttl);
}

const MAX_SERIAL_LENGTH = 64;

/**
 * A serial as the service keys it: exactly as sent (strict, share-api §18.2: a client that forgets
 * to upper-case fails), or upper case under serialMatch "ignore-case".
 */
export function serialIn(ctx: AuthedContext, serial: string): string {
  return ctx.knobs.serialMatch === "exact" ? serial : serial.toUpperCase();
}

function serialOf(ctx: AuthedContext): string | undefined {
  const serial = ctx.query("serialNumber");
  return nonEmptyString(serial) && serial.length <= MAX_SERIAL_LENGTH ? serialIn(ctx, serial) : undefined;
}

export const PUBLISHER_OPERATIONS: Readonly<Record<string, Operation>> = {
  "Publisher/CheckMonitoredReceiverAssignmentStatus": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle(ctx) {
      const serial = serialOf(ctx);
      if (serial === undefined) return invalidArgument("serialNumber");
      const owner = ctx.state.serials.get(serial);
      if (owner === undefined) return json("NotAssigned");
      return json(owner === ctx.account.accountId ? "AssignedToYou" : "AssignedToSomeoneElse");
    },
  },

  /**
   * Makes the serial the account's monitored receiver, releasing the previous one. A new receiver
   * needs a new monitoring session. The official signature returns a UUID (share-api §15 #8).
   */
  "Publisher/ReplacePublisherAccountMonitoredReceiver": {
    method: "POST",
    auth: "query-session",
    mutates: true,
    handle(ctx) {
      const serial = serialOf(ctx);
      if (serial === undefined) return invalidArgument("serialNumber");
      const owner = ctx.state.serials.get(serial);
      if (owner !== undefined && owner !== ctx.account.accountId) {
        return fault(
          "SerialNumberAssignedToSomeoneElse",
          "The serial number is assigned to another account.",
        );
      }
      if (owner === ctx.account.accountId) {
        return ctx.knobs.replaceSameSerial === "ok"
          ? json(ctx.account.accountId)
          : fault("SerialNumberAssignedToYou", "The serial number is already assigned to this account.");
      }
      ctx.state.assign(ctx.account, serial);
      ctx.account.monitoring.active = false;
      return json(ctx.account.accountId);
    },
  },

  "Publisher/IsRemoteMonitoringSessionActive": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle: (ctx) => json(monitoringActive(ctx, ctx.account)),
  },

  "Publisher/StartRemoteMonitoringSession": {
    method: "POST",
    auth: "query-session",
    mutates: true,
    handle(ctx) {
      const serial = serialOf(ctx);
      if (serial === undefined) return invalidArgument("serialNumber");
      const assigned = ctx.account.assignedSerial;
      if (assigned === undefined) {
        return fault(
          "MonitoredReceiverNotAssigned",
          "Publisher account does not have a valid monitored receiver.",
        );
      }
      if (assigned !== serial) {
        return fault(
          "MonitoredReceiverSerialNumberDoesNotMatch",
          "The serial number does not match the monitored receiver.",
        );
      }
      if (monitoringActive(ctx, ctx.account)) {
        return fault(
          "MonitoringSessionAlreadyActive",
          "Publisher account already has an active monitoring session",
        );
      }
      ctx.account.monitoring = { active: true, startedMs: ctx.now };
      return empty;
    },
  },

  "Publisher/StopRemoteMonitoringSession": {
    method: "POST",
    auth: "query-session",
    mutates: true,
    handle(ctx) {
      ctx.account.monitoring = { active: false, startedMs: 0 };
      return empty;
    },
  },

  /** The session id travels in the body here (share-api §5.2 runtime-info). */
  "Publisher/UpdatePublisherAccountRuntimeInfo": {
    method: "POST",
    auth: "body-session",
    mutates: true,
    handle(ctx) {
      const info = bodyObject(bodyObject(ctx.body)?.["runtimeInfo"]);
      if (info === undefined) return invalidArgument("runtimeInfo");
      const kept: Record<string, string> = {};
      for (const [key, value] of Object.entries(info).slice(0, 20)) {
        if (typeof value === "string") kept[key.slice(0, 40)] = value.slice(0, 200);
      }
      ctx.account.runtimeInfo = kept;
      return empty;
    },
  },

  "Publisher/LogoutPublisherAccount": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle(ctx) {
      ctx.state.sessions.delete(ctx.session.sessionId);
      return empty;
    },
  },

  "Publisher/ReadPublisherAccountDisplayName": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle: (ctx) => json(ctx.account.displayName),
  },

  "Publisher/ReadPublisherAccountEmail": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle: (ctx) => json(ctx.account.email),
  },
};
