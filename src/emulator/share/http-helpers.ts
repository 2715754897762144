/**
 * Small HTTP helpers of the Share emulator: request body reading with a cap, case-insensitive query
 * lookup (share-api §1.3), plain-text answers, Cloudflare-like headers and the seeded generator
 * behind injected faults.
 */
import type { IncomingMessage } from "node:http";

/** Requests larger than this are refused with 413 (the largest real one, 50 readings, is ~5 KB). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export type Answer = { status: number; headers: Record<string, string>; body: string; code?: string };

export function text(status: number, body: string): Answer {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

export function caseInsensitive(params: URLSearchParams): (name: string) => string | undefined {
  const map = new Map<string, string>();
  for (const [key, value] of params) {
    const folded = key.toLowerCase();
    if (!map.has(folded)) map.set(folded, value);
  }
  return (name) => map.get(name.toLowerCase());
}

/** Reads the request body, keeping at most MAX_REQUEST_BYTES; the rest is drained and dropped. */
export async function readBody(req: IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    if (total <= MAX_REQUEST_BYTES) chunks.push(bytes);
  }
  return total > MAX_REQUEST_BYTES ? "too-large" : Buffer.concat(chunks);
}

export function cloudflareHeaders(): Record<string, string> {
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
  return {
    server: "cloudflare",
    "cf-ray": `${hex(16)}-IAD`,
    "x-trace-id": hex(32),
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "cache-control": "no-cache, no-store, must-revalidate",
    "set-cookie": `_cfuvid=${hex(40)}-${Date.now()}; path=/; domain=.dexcom.invalid; HttpOnly; Secure; SameSite=None`,
  };
}

/** A seeded generator (mulberry32) so injected faults repeat from run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
