/**
 * The shape of one emulated operation and the answers it can give. Handlers are synchronous and
 * pure over the state: the server (server.ts) owns HTTP, sessions, faults injection and logging.
 */
import type { ShareRegion } from "../../share/regions.js";
import type { ShareEmulatorKnobs } from "./knobs.js";
import type { AccountRecord, EmulatorState, SessionRecord } from "./model.js";

export type Reply =
  /** HTTP 200 with a JSON value (identifiers are JSON strings, booleans bare, share-api §1.4). */
  | { readonly kind: "json"; readonly value: unknown }
  /** HTTP 200 with an empty body: a void success (share-api §1.4). */
  | { readonly kind: "empty" }
  /** HTTP 500 with the error envelope (share-api §9.1). */
  | { readonly kind: "fault"; readonly code: string; readonly message: string }
  /** Anything else: a non-JSON status (400 for malformed input, 503 for an outage, 404). */
  | { readonly kind: "text"; readonly status: number; readonly text: string };

export interface OpContext {
  readonly region: ShareRegion;
  /** Query parameter by name, matched case-insensitively (share-api §1.3). */
  readonly query: (name: string) => string | undefined;
  /** The JSON body, or undefined when there was none (no body, empty, share-api §1.3). */
  readonly body: unknown;
  readonly state: EmulatorState;
  readonly knobs: ShareEmulatorKnobs;
  readonly now: number;
}

export interface AuthedContext extends OpContext {
  readonly account: AccountRecord;
  readonly session: SessionRecord;
}

interface OperationBase {
  readonly method: "GET" | "POST";
  /** Whether a successful answer changes state that persistence keeps. */
  readonly mutates: boolean;
}

export type Operation =
  | (OperationBase & { readonly auth: "none"; handle(ctx: OpContext): Reply })
  | (OperationBase & {
      /** Where the session id travels: the `sessionId` query key, or the body (runtime info, share-api §5.2). */
      readonly auth: "query-session" | "body-session";
      /** The read call answers the null-UUID session with an empty non-JSON body (share-api §7.3). */
      readonly nullSessionEmpty?: boolean;
      handle(ctx: AuthedContext): Reply;
    });

export const json = (value: unknown): Reply => ({ kind: "json", value });
export const empty: Reply = { kind: "empty" };
export const fault = (code: string, message: string): Reply => ({ kind: "fault", code, message });
export const invalidArgument = (name: string): Reply =>
  fault("InvalidArgument", `Invalid argument: ${name} is missing or not valid.`);

/** The body as an object with string keys, or undefined. */
export function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

export function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}
