/**
 * Calls that need a session (every `Publisher/*` operation), with the session recovery of
 * share-api §14.1 item 5: on `SessionIdNotFound` / `SessionNotValid` log in again once and repeat
 * the call once; a second session answer is final (SHARE_SESSION) and the caller backs off.
 */
import type { Logger } from "../log.js";
import { faultKindOf } from "./fault.js";
import type { ShareSession } from "./session.js";
import type { ShareAnswer, ShareTransport } from "./transport.js";

export interface AuthedCallOptions {
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: Readonly<Record<string, unknown>>;
  /** UpdatePublisherAccountRuntimeInfo carries the session id in its body (share-api §5.2). */
  readonly sessionInBody?: boolean;
  readonly signal?: AbortSignal | undefined;
}

export type AuthedCaller = (operation: string, options?: AuthedCallOptions) => Promise<ShareAnswer>;

export function authedCaller(transport: ShareTransport, session: ShareSession, log: Logger): AuthedCaller {
  return async (operation, options = {}) => {
    const { signal } = options;
    let sessionId = await session.current(signal);
    for (let attempt = 1; ; attempt++) {
      try {
        return await transport.call({
          operation,
          query: options.sessionInBody === true ? options.query : { sessionId, ...options.query },
          body: options.sessionInBody === true ? { sessionId, ...options.body } : options.body,
          signal,
        });
      } catch (error) {
        if (faultKindOf(error) !== "session" || attempt >= 2) throw error;
        session.invalidate(sessionId);
        log.info({ operation }, "Share dropped the session; logging in again");
        sessionId = await session.current(signal);
      }
    }
  };
}
