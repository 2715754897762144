/**
 * `sharebridge run` with its listener beyond loopback and no access token: refused before the loop
 * starts, exit 2 naming http.tokenFile, and the state directory's lock released (a run can follow).
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-run-listen-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sharebridge run, listening beyond loopback", () => {
  it("without a token: exit 2 naming http.tokenFile, and the lock released", async () => {
    await writeFile(join(dir, "password"), "pw\n", { mode: 0o600 });
    const config = join(dir, "config.json");
    await writeFile(
      config,
      JSON.stringify({
        device: "emulate",
        stateDir: join(dir, "state"),
        share: { server: "http://127.0.0.1:9", username: "wearer", passwordFile: join(dir, "password") },
        http: { listen: "0.0.0.0:0" },
      }),
    );
    const run = await cli(["run", "--config", config]);
    expect(run.code).toBe(2);
    const line = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(line["msg"]).toBe(
      "http.listen: 0.0.0.0 is not a loopback address, and no access token is set (http.tokenFile) [CONFIG_INVALID]",
    );
    expect(line["context"]).toMatchObject({ key: "http.tokenFile" });
    expect(await readdir(join(dir, "state"))).not.toContain("sharebridge.lock");
  });
});
