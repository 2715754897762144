/**
 * undici's connection pool and its request API, without the rest of undici. `import { Pool } from
 * "undici"` loads the whole package (fetch, WebSocket, the cache, the mock agent: about 18 MiB
 * resident on Node 20); the Share client and the alert webhook need `Pool` and `request` only,
 * about 9 MiB less, which a Pi Zero 2 W notices. undici 7 has no `exports` map, so its files are
 * requireable by path, and this does what its index.js does for the part we use: it puts the
 * request API (lib/api) on the dispatcher prototype. The types are the package's own. Tests check,
 * in a fresh process, that a request through this Pool works, and that the daemon's modules load,
 * without the package's index ever being loaded.
 */
import { createRequire } from "node:module";
import type { Pool as UndiciPool } from "undici";

const require = createRequire(import.meta.url);

const Dispatcher = require("undici/lib/dispatcher/dispatcher.js") as { prototype: Record<string, unknown> };
if (typeof Dispatcher.prototype["request"] !== "function") {
  Object.assign(Dispatcher.prototype, require("undici/lib/api/index.js") as Record<string, unknown>);
}

export const Pool = require("undici/lib/dispatcher/pool.js") as typeof UndiciPool;
export type Pool = UndiciPool;
