/**
 * The V8 flags the daemon runs with as shipped are the same in the systemd units, the Docker image
 * and the benchmarks that measure them, and the node running the tests (20 and 24 in CI) accepts
 * them: a flag V8 dropped would stop the service at start ("bad option").
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url);
const text = (path: string) => readFile(new URL(path, root), "utf8");

const SHIPPED = [
  "--max-semi-space-size=2",
  "--optimize-for-size",
  "--single-threaded",
  "--no-opt",
  "--no-sparkplug",
  "--liftoff-only",
];

/** The words between `node` and the script in an ExecStart= line. */
function execStartFlags(unit: string): string[] {
  const line = unit.split("\n").find((l) => l.startsWith("ExecStart="));
  const words = (line ?? "").split(" ");
  return words.slice(
    1,
    words.findIndex((w) => w.endsWith("/dist/main.js")),
  );
}

describe("the daemon's node flags", () => {
  it("are the same in both systemd units, the Dockerfile's entry point and the benchmarks", async () => {
    expect(execStartFlags(await text("systemd/sharebridge.service"))).toEqual(SHIPPED);
    expect(execStartFlags(await text("systemd/sharebridge@.service"))).toEqual(SHIPPED);
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(await text("Dockerfile"))?.[1] ?? "[]";
    expect(JSON.parse(entrypoint)).toEqual(["node", ...SHIPPED, "/app/dist/main.js"]);
    const { DAEMON_NODE_FLAGS } = (await import(new URL("bench/processes.mjs", root).href)) as {
      DAEMON_NODE_FLAGS: string[];
    };
    expect(DAEMON_NODE_FLAGS).toEqual(SHIPPED);
  });

  it("are accepted by this node, and HTTP through undici's Pool works under them", async () => {
    const pool = JSON.stringify(new URL("dist/util/undici-pool.js", root).href);
    const script = `
      import { createServer } from "node:http";
      const { Pool } = await import(${pool});
      const server = createServer((_, response) => response.end("pong"));
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const pool = new Pool("http://127.0.0.1:" + server.address().port);
      const answer = await pool.request({ path: "/", method: "GET" });
      console.log(answer.statusCode, await answer.body.text());
      await pool.close();
      server.close();
    `;
    const { stdout, stderr } = await run(process.execPath, [...SHIPPED, "--input-type=module", "-e", script]);
    expect({ stdout, stderr }).toEqual({ stdout: "200 pong\n", stderr: "" });
  });
});
