/**
 * The Share emulator's injected misbehaviour at the HTTP level (share-api §14.2 faults, §18): answers
 * a client must survive but the real service gives only on a bad day — throttling with Retry-After,
 * refused or nonsensical logins, a body that trickles in a byte at a time, latency with jitter.
 * Handlers in the *-ops files never see these; the server asks here first and last.
 */
import type { ServerResponse } from "node:http";
import type { Timers } from "../../clock.js";
import { type Answer, text } from "./http-helpers.js";
import type { ShareEmulatorKnobs } from "./knobs.js";

const LOGIN_OPERATIONS: ReadonlySet<string> = new Set([
  "General/AuthenticatePublisherAccount",
  "General/LoginPublisherAccountById",
  "General/LoginPublisherAccountByName",
]);

/** 429/503 during the throttle window, with its Retry-After; undefined outside it. */
export function throttleAnswer(knobs: ShareEmulatorKnobs, sinceStartMs: number): Answer | undefined {
  const throttle = knobs.faults.throttle;
  if (throttle === null) return undefined;
  if (sinceStartMs < throttle.afterMs || sinceStartMs >= throttle.afterMs + throttle.durationMs)
    return undefined;
  const answer = text(throttle.status, throttle.status === 429 ? "Too Many Requests" : "Service Unavailable");
  if (throttle.retryAfterSeconds !== null) answer.headers["retry-after"] = String(throttle.retryAfterSeconds);
  return answer;
}

/** A login refused by HTTP status, or answered 200 with a string that is neither a UUID nor the null UUID. */
export function loginAnswer(knobs: ShareEmulatorKnobs, operation: string): Answer | undefined {
  const mode = knobs.faults.loginAnswer;
  if (mode === "normal" || !LOGIN_OPERATIONS.has(operation)) return undefined;
  if (mode === "http-401") return text(401, "Unauthorized");
  if (mode === "http-403") return text(403, "Forbidden");
  return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify("OK") };
}

/** This answer's delay: `latencyMs` ± up to `latencyJitterMs`, uniformly from the seeded generator. */
export function latencyFor(knobs: ShareEmulatorKnobs, random: () => number): number {
  const { latencyMs, latencyJitterMs } = knobs.faults;
  if (latencyJitterMs === 0) return latencyMs;
  return Math.max(0, Math.round(latencyMs + (2 * random() - 1) * latencyJitterMs));
}

/**
 * Writes the answer: at once, or (trickle knob) its leading padding and body one byte per interval
 * until the client hangs up. The announced length is the true one, so only the pace is wrong.
 */
export function writeAnswer(
  res: ServerResponse,
  answer: Answer,
  knobs: ShareEmulatorKnobs,
  timers: Timers,
): void {
  const trickle = knobs.faults.trickle;
  const body = Buffer.from(
    trickle === null ? answer.body : `${" ".repeat(trickle.paddingBytes)}${answer.body}`,
  );
  res.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) });
  if (trickle === null || body.length === 0) {
    res.end(body);
    return;
  }
  let sent = 0;
  let handle: unknown;
  const step = () => {
    if (res.destroyed) return;
    res.write(body.subarray(sent, sent + 1));
    sent++;
    if (sent >= body.length) res.end();
    else handle = timers.setTimeout(step, trickle.intervalMs);
  };
  res.on("close", () => timers.clearTimeout(handle));
  step();
}
