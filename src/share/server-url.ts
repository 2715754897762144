/**
 * Custom Share server URLs (the emulator, a test server): scheme, host and port only; the client
 * adds the `/ShareWebServices/Services/` prefix itself (share-api §1.1).
 *
 * Plain http is allowed only when the host is loopback, so a password can never travel unencrypted
 * over a network. TLS verification is never switched off anywhere in the client.
 */
import { isIPv4 } from "node:net";
import { fail } from "../errors.js";
import { SERVICE_PREFIX } from "./regions.js";

const MAX_URL_LENGTH = 2048;

/** `localhost`, 127.0.0.0/8 and ::1: the hosts plain http is allowed for. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]" || host === "::1") return true;
  return isIPv4(host) && host.startsWith("127.");
}

/** Validates a custom server URL and returns its origin (`scheme://host[:port]`). */
export function parseServerUrl(text: string): string {
  // Shown in errors: never with credentials someone put in the URL.
  const safe = text.replace(/\/\/[^/@]*@/, "//<credentials>@");
  const shown = safe.length > 80 ? `${safe.slice(0, 80)}…` : safe;
  if (text.length === 0 || text.length > MAX_URL_LENGTH) {
    fail("SHARE_URL_INVALID", "the Share server URL is empty or too long", { url: shown });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    return fail("SHARE_URL_INVALID", `"${shown}" is not a URL`, { url: shown }, { cause: error });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    fail(
      "SHARE_URL_INVALID",
      `the Share server URL must use https (or http on loopback), got ${url.protocol}`,
      {
        url: shown,
      },
    );
  }
  if (url.username !== "" || url.password !== "") {
    fail("SHARE_URL_INVALID", "the Share server URL must not carry a user name or password", {});
  }
  if (url.search !== "" || url.hash !== "") {
    fail("SHARE_URL_INVALID", "the Share server URL must not have a query or fragment", { url: shown });
  }
  if (url.pathname !== "/" && url.pathname !== "") {
    const hint = url.pathname.startsWith(SERVICE_PREFIX.slice(0, -1))
      ? `; leave out ${SERVICE_PREFIX}, the client adds it`
      : "";
    fail("SHARE_URL_INVALID", `the Share server URL must be scheme, host and port only${hint}`, {
      url: shown,
    });
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    fail(
      "SHARE_URL_INVALID",
      `plain http is only allowed for a loopback host (localhost, 127.0.0.0/8, ::1); use https for ${url.hostname}`,
      { url: shown },
    );
  }
  return url.origin;
}
