/**
 * The Share emulator's session checks and the rendering of a handler's reply as HTTP (share-api
 * §1.4, §3.3, §7.3, §9.1, §14.2). Pure over the emulator's state, knobs and seeded generator.
 */
import type { ShareRegion } from "../../share/regions.js";
import { isUuid, NULL_UUID } from "../../share/uuid.js";
import { faultEnvelope } from "./fault-envelope.js";
import { type Answer, text } from "./http-helpers.js";
import type { ShareEmulatorKnobs } from "./knobs.js";
import type { AccountRecord, EmulatorState, SessionRecord } from "./model.js";
import { fault, type Reply } from "./operation.js";

export interface SessionCheckContext {
  readonly state: EmulatorState;
  readonly knobs: ShareEmulatorKnobs;
  /** The seeded generator behind faults.sessionNotValidRate. */
  readonly random: () => number;
}

/** Session checks in the order the real service reveals them (share-api §3.3, §7.3, §14.2). */
export function resolveSession(
  ctx: SessionCheckContext,
  region: ShareRegion,
  sessionText: unknown,
  now: number,
  nullSessionEmpty: boolean,
): { account: AccountRecord; session: SessionRecord } | Reply {
  const { state, knobs } = ctx;
  if (!isUuid(sessionText)) {
    return { kind: "text", status: 400, text: "The server encountered an error processing the request." };
  }
  const sessionId = sessionText.toLowerCase();
  if (sessionId === NULL_UUID && nullSessionEmpty) return { kind: "empty" };
  const session = state.sessions.get(sessionId);
  const account = session === undefined ? undefined : state.findById(undefined, session.accountId);
  const wrongRegion = session !== undefined && knobs.regionSeparation && session.region !== region;
  if (session === undefined || account === undefined || wrongRegion) {
    return fault("SessionIdNotFound", `Failed to find session object. [SessionId = ${sessionText}]`);
  }
  const idle = knobs.idleTtlMs;
  const expired =
    now - session.createdMs >= knobs.sessionTtlMs || (idle !== null && now - session.lastUsedMs >= idle);
  if (expired) {
    state.sessions.delete(sessionId);
    return fault("SessionNotValid", `Session not active or timed out. [SessionId = ${sessionText}]`);
  }
  const rate = knobs.faults.sessionNotValidRate;
  if (rate > 0 && ctx.random() < rate) {
    return fault("SessionNotValid", `Session not active or timed out. [SessionId = ${sessionText}]`);
  }
  session.lastUsedMs = now;
  return { account, session };
}

/**
 * A handler's reply as HTTP: JSON 200, the empty 200 of a void success (or the voidSuccessBody
 * knob's body), the fault envelope with 500 (or 200 under faultsWithStatus200), or plain text.
 */
export function renderReply(reply: Reply, knobs: ShareEmulatorKnobs, now: number): Answer {
  switch (reply.kind) {
    case "json":
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(reply.value),
      };
    case "empty":
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body: knobs.faults.voidSuccessBody ?? "",
      };
    case "fault":
      return {
        status: knobs.faults.faultsWithStatus200 ? 200 : 500,
        headers: { "content-type": "application/json" },
        body: faultEnvelope(reply.code, reply.message, knobs.subCodeStyle, now),
        code: reply.code,
      };
    case "text":
      return text(reply.status, reply.text);
  }
}
