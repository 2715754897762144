/**
 * The built CLI (dist/main.js, as npm test builds it) in a real child process: what only a real
 * process shows — a pipe whose reader closes early, and what a run leaves on disk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { EXAMPLE_CONFIG_FILE } from "../../src/config/require.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";

const MAIN = new URL("../../dist/main.js", import.meta.url).pathname;

let dir: string;
let children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-process-"));
  await writeFile(join(dir, "empty.json"), "{}\n");
});
afterEach(async () => {
  for (const child of children) child.kill("SIGKILL");
  children = [];
  await rm(dir, { recursive: true, force: true });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** What was read from stdout before it was closed. */
  stdout: string;
}

/**
 * Runs the CLI with stdout to a reader that takes `keepBytes` (0: none) and then closes its end,
 * as `| head -c N` does.
 */
function runIntoClosingReader(
  args: string[],
  keepBytes: number,
  env: Record<string, string>,
): Promise<Ended> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  let stdoutText = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const stdout = child.stdout;
  if (keepBytes === 0) stdout?.destroy();
  else
    stdout?.setEncoding("utf8").on("data", (text: string) => {
      stdoutText += text;
      if (stdoutText.length >= keepBytes) stdout.destroy();
    });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stderr, stdout: stdoutText }));
  });
}

const GONE = '"msg":"the output\'s reader went away; the command stopped"';

describe("a reader that closes early (`| head`)", () => {
  const env = () => ({ SHAREBRIDGE_CONFIG: join(dir, "empty.json") });

  it("receiver dump stops reading pages, and ends quietly with exit 0", async () => {
    const args = ["receiver", "dump", "--type", "egv", "--device", "emulate:g4", "--log-level", "debug"];
    const ended = await runIntoClosingReader(args, 4096, env());
    expect([ended.code, ended.signal]).toEqual([EXIT.OK, null]);
    expect(ended.stdout.length).toBeGreaterThanOrEqual(4096);
    expect(ended.stderr).toContain(GONE);
    expect(ended.stderr).not.toContain("EPIPE");
  });

  it("receiver records (which writes after reading everything) ends quietly with exit 0", async () => {
    const args = ["receiver", "records", "--type", "egv", "--device", "emulate:g4"];
    const ended = await runIntoClosingReader(args, 4096, env());
    expect([ended.code, ended.signal]).toEqual([EXIT.OK, null]);
    expect(ended.stdout.length).toBeGreaterThanOrEqual(4096);
    expect(ended.stderr).not.toContain("EPIPE");
    expect(ended.stderr).not.toContain("Unhandled");
  });

  it("share readings stops quietly with exit 0", async () => {
    const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);
    const share: ShareEmulator = await startShareEmulator({
      accounts: [{ name: "wearer", password: "pw" }],
      now: () => NOW_MS,
    });
    try {
      const account = share.account("wearer");
      for (let i = 0; i < 12; i++) {
        const wtMs = NOW_MS - i * 300_000;
        account.egvs.unshift({
          key: `k${i}`,
          sn: "SM12345678",
          stMs: wtMs,
          wtMs,
          dtOffsetMinutes: 0,
          value: 100 + i,
          trend: 4,
        });
      }
      await writeFile(join(dir, "pw"), "pw\n");
      const ended = await runIntoClosingReader(
        [
          "share",
          "readings",
          "--server",
          share.url("us"),
          "--username",
          "wearer",
          "--password-file",
          join(dir, "pw"),
          "--log-level",
          "debug",
        ],
        0,
        env(),
      );
      expect([ended.code, ended.signal]).toEqual([EXIT.OK, null]);
      expect(ended.stderr).not.toContain("EPIPE");
      expect(ended.stderr).not.toContain("Unhandled");
    } finally {
      await share.close();
    }
  });

  it("demo stops quietly with exit 0", async () => {
    const ended = await runIntoClosingReader(
      ["demo", "--seconds", "3", "--interval", "1", "--log-level", "debug"],
      0,
      env(),
    );
    expect([ended.code, ended.signal]).toEqual([EXIT.OK, null]);
    expect(ended.stderr).toContain(GONE);
    expect(ended.stderr).not.toContain("EPIPE");
  });
});

describe("a run with no configuration", () => {
  it("names the file it looked for and every missing key, and leaves no ./state behind", async () => {
    const ended = await runIntoClosingReader(["run"], Number.POSITIVE_INFINITY, { HOME: dir });
    expect(ended.code).toBe(EXIT.USAGE_OR_CONFIG);
    // `run` logs to stdout (journald, Docker): one JSON line.
    const line = JSON.parse(ended.stdout) as { code: string; msg: string };
    expect(line.code).toBe("CONFIG_INVALID");
    expect(line.msg).toBe(
      "3 problems:\n" +
        "  - share.region: is not set; set share.region to us, ous or jp (or --region, or SHAREBRIDGE_SHARE_REGION), or share.server\n" +
        "  - share.username: is not set; set share.username (or --username, or SHAREBRIDGE_SHARE_USERNAME)\n" +
        "  - share.passwordFile: no Share password was found; set share.passwordFile (or --password-file, or SHAREBRIDGE_PASSWORD_FILE), or provide the systemd credential share-password or the Docker secret /run/secrets/share-password\n" +
        `no configuration file was found at /etc/sharebridge/config.json: create it from ${EXAMPLE_CONFIG_FILE} (sudo install -D -m 0644 ${EXAMPLE_CONFIG_FILE} /etc/sharebridge/config.json, then edit it), or name one with --config FILE or SHAREBRIDGE_CONFIG [CONFIG_INVALID]`,
    );
    expect(await readdir(dir)).toEqual(["empty.json"]);
  });
});
