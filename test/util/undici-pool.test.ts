/**
 * The Share client loads undici's Pool and request API alone (src/util/undici-pool.ts): the class is
 * undici's own, and in a fresh process a request through it works while undici's index.js (fetch,
 * WebSocket, …) is never loaded.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Pool } from "../../src/util/undici-pool.js";

const run = promisify(execFile);

describe("undici's Pool, loaded alone", () => {
  it("is the class the undici package exports", () => {
    const undici = createRequire(import.meta.url)("undici") as { Pool: unknown };
    expect(Pool).toBe(undici.Pool);
  });

  it("answers a request in a fresh process without loading undici's index", async () => {
    const server = createServer((_, response) => response.end("pong"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const script = `
        import { createRequire } from "node:module";
        const { Pool } = await import(${JSON.stringify(new URL("../../dist/util/undici-pool.js", import.meta.url).href)});
        const pool = new Pool("http://127.0.0.1:${port}");
        const answer = await pool.request({ path: "/", method: "GET" });
        const text = await answer.body.text();
        await pool.close();
        const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.endsWith("/undici/index.js"));
        console.log(JSON.stringify({ status: answer.statusCode, text, loaded }));
      `;
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
      expect(JSON.parse(stdout)).toEqual({ status: 200, text: "pong", loaded: false });
    } finally {
      server.close();
    }
  });

  it("the daemon's modules (run, the composition root, alerts, status page, MQTT) load without undici's index", async () => {
    const dist = (path: string) => JSON.stringify(new URL(`../../dist/${path}`, import.meta.url).href);
    const script = `
      import { createRequire } from "node:module";
      await import(${dist("cli/run.js")});
      await import(${dist("app/system.js")});
      await import(${dist("observe/alerts/webhook.js")});
      const undici = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("/undici/"));
      console.log(JSON.stringify({ index: undici.some((f) => f.endsWith("/undici/index.js")), pool: undici.some((f) => f.endsWith("/lib/dispatcher/pool.js")) }));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
    expect(JSON.parse(stdout)).toEqual({ index: false, pool: true });
  });
});
