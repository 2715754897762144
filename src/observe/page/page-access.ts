/**
 * Who may see the status page, `/status.json` and `/metrics` when `http.tokenFile` is set (required
 * for any address other than loopback; `/healthz` is always open and says nothing personal):
 *
 *   Authorization: Bearer TOKEN      scripts, Prometheus (`authorization: { credentials_file: … }`)
 *   GET /?token=TOKEN                once per phone or browser: answered with a redirect to the same
 *                                    address without the token, and a cookie that stands for it
 *   Cookie: sharebridge=…            the browser from then on
 *   anything else                    401 with a fixed text: no serial, no reading, nothing personal
 *
 * The cookie holds an HMAC of a fixed text under the token, never the token itself: it opens the page
 * but cannot be turned back into the token. It is HttpOnly (scripts never see it) and SameSite=Lax
 * (sent when the page is opened from a bookmark or a link; every route here only reads). Every
 * comparison is constant-time over SHA-256 digests, so neither timing nor length tells anything.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type Reply, text } from "../http-reply.js";

export const COOKIE_NAME = "sharebridge";
/** A year: a parent's phone should not be asked again (browsers cap cookies at 400 days). */
const COOKIE_MAX_AGE_SECONDS = 365 * 86_400;

/** The gate's verdict: let it through, or answer this instead. */
export type AccessCheck = { readonly allowed: true } | { readonly allowed: false; readonly reply: Reply };

const ALLOWED: AccessCheck = { allowed: true };

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** What the cookie holds for `token`. */
export function cookieValue(token: string): string {
  return createHmac("sha256", token).update("sharebridge status page cookie v1").digest("base64url");
}

function cookieOf(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || header.length > 4096) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearerOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer +(\S{1,4096})$/i.exec(header);
  return match?.[1];
}

const UNAUTHORIZED: Reply = {
  ...text(
    401,
    "401 unauthorized: open this address once with ?token=YOUR-TOKEN (the content of http.tokenFile), or send Authorization: Bearer YOUR-TOKEN\n",
  ),
  headers: { "www-authenticate": 'Bearer realm="sharebridge"' },
};

/**
 * Checks a request against `token` (undefined: no token configured, everyone on the listener's
 * address may look). `url` is the request's path and query.
 */
export function checkAccess(request: IncomingMessage, url: URL, token: string | undefined): AccessCheck {
  if (token === undefined) return ALLOWED;
  const bearer = bearerOf(request);
  if (bearer !== undefined && sameSecret(bearer, token)) return ALLOWED;
  const cookie = cookieOf(request, COOKIE_NAME);
  if (cookie !== undefined && sameSecret(cookie, cookieValue(token))) return ALLOWED;
  const offered = url.searchParams.get("token");
  if (offered !== null && sameSecret(offered, token)) {
    // Once: the token leaves the address bar (and the history's next entry) at once.
    const clean = new URL(url);
    clean.searchParams.delete("token");
    return {
      allowed: false,
      reply: {
        ...text(303, "signed in\n"),
        headers: {
          location: `${clean.pathname}${clean.search}`,
          "set-cookie": `${COOKIE_NAME}=${cookieValue(token)}; Path=/; Max-Age=${COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax`,
        },
      },
    };
  }
  return { allowed: false, reply: UNAUTHORIZED };
}
