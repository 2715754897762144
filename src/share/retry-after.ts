/**
 * `Retry-After` on 429 and 503 (RFC 9110 §10.2.3; share-api §18.11): delta-seconds or an HTTP date.
 * Honoured, but bounded: a server (or a proxy in between) must not be able to park uploads for
 * longer than an hour with one header.
 */

/** The longest wait a Retry-After header can impose (share-api §18.11). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Longer than any HTTP date or delta; a longer header is ignored unparsed. */
const MAX_HEADER_LENGTH = 64;

/**
 * The wait a `Retry-After` value asks for, in ms, within [0, 1 h]; undefined when absent or
 * unparsable. `nowMs` is the local clock, for the date form.
 */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_HEADER_LENGTH) return undefined;
  const trimmed = text.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    // Every HTTP-date form starts with the day's name (RFC 9110 §5.6.7); Date.parse alone would
    // also take "-5" or "1.5" for dates.
    if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
    const at = Date.parse(trimmed);
    if (!Number.isFinite(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
