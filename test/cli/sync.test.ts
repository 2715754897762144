/**
 * `sharebridge sync` end to end in-process: the receiver emulator on TCP, the Share emulator on
 * loopback HTTP, a real state directory; exit codes as the README documents them.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { cli } from "../support/cli.js";

const LOGINS = ["General/AuthenticatePublisherAccount", "General/LoginPublisherAccountById"];

let dir: string;
let receiver: ReceiverEmulator;
let share: ShareEmulator;
let device: string;
let args: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-sync-cli-"));
  await writeFile(join(dir, "password"), "pw-for-tests\n");
  receiver = createReceiverEmulator({ profile: "g5", seed: 12, days: 2 });
  const listener = await receiver.listenTcp("127.0.0.1", 0);
  device = `tcp://127.0.0.1:${listener.port}`;
  share = await startShareEmulator({ accounts: [{ name: "carer", password: "pw-for-tests" }] });
  args = [
    "--device",
    device,
    "--server",
    share.url("us"),
    "--username",
    "carer",
    "--password-file",
    join(dir, "password"),
    "--state-dir",
    join(dir, "state"),
  ];
});

afterEach(async () => {
  await share.close();
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

describe("sharebridge sync", () => {
  it("posts the backfill window, then nothing new; exit 0 both times", async () => {
    const first = await cli(["sync", ...args]);
    expect(first.code).toBe(EXIT.OK);
    const stored = share.account("carer").egvs.length;
    expect(stored).toBeGreaterThan(250);
    expect(first.stderr).toContain(`posted ${stored} readings`);
    const second = await cli(["sync", ...args]);
    expect(second.code).toBe(EXIT.OK);
    expect(second.stderr).toContain("posted 0 readings");
    expect(share.account("carer").egvs).toHaveLength(stored);
    const state = JSON.parse(await readFile(join(dir, "state", "state.json"), "utf8"));
    expect(state.receivers[receiver.serial].sinks.share.cursors.egv.lastStSeconds).toBe(
      (share.account("carer").egvs.at(-1)?.stMs ?? 0) / 1000,
    );
    expect(JSON.stringify(state)).not.toContain("pw-for-tests");
    // A one-shot sync leaves its cycle for `status`, as the daemon does.
    expect(state.lastCycle).toMatchObject({ outcome: "nothing-new", backlog: 0 });
  });

  it("--dry-run prints the posts as JSON lines and changes nothing", async () => {
    const run = await cli(["sync", "--dry-run", ...args]);
    expect(run.code).toBe(EXIT.OK);
    const lines = run.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(250);
    expect(Object.keys(lines[0] ?? {})).toEqual(["ST", "DT", "TA", "Value", "Trend"]);
    expect(lines[0]?.["ST"]).toMatch(/^\/Date\(\d+000\)\/$/);
    expect(lines[0]?.["TA"]).toBe(0);
    expect(share.count("Publisher/PostReceiverEgvRecords")).toBe(0);
    await expect(readFile(join(dir, "state", "state.json"), "utf8")).rejects.toThrow();
  });

  it("a wrong password exits 4 after exactly one login request, and a second run makes none", async () => {
    await writeFile(join(dir, "password"), "not-the-password\n");
    const first = await cli(["sync", ...args]);
    expect(first.code).toBe(EXIT.SHARE_CREDENTIALS);
    expect(share.requests.filter((r) => LOGINS.includes(r.operation))).toHaveLength(1);
    share.clearRequests();
    const second = await cli(["sync", ...args]);
    expect(second.code).toBe(EXIT.SHARE_CREDENTIALS);
    expect(share.requests.filter((r) => LOGINS.includes(r.operation))).toHaveLength(0);
    expect(`${first.stderr}${second.stderr}`).not.toContain("not-the-password");
  });

  it("no receiver exits 3; Share down exits 5; a bad configuration exits 2 naming the key", async () => {
    const noReceiver = await cli(["sync", ...args, "--device", "tcp://127.0.0.1:1"]);
    expect(noReceiver.code).toBe(EXIT.RECEIVER);

    // A host that keeps time (so the clock does not depend on Share): Share down exits 5.
    await writeFile(join(dir, "synced.json"), JSON.stringify({ clock: { assumeSynchronized: true } }));
    share.setOutage(true);
    const down = await cli(["sync", "--config", join(dir, "synced.json"), ...args]);
    expect(down.code).toBe(EXIT.SHARE_UNAVAILABLE);
    const state = JSON.parse(await readFile(join(dir, "state", "state.json"), "utf8"));
    expect(state.lastCycle.outcome).toBe("share-error");
    expect(state.lastCycle.backlog).toBeGreaterThan(250);
    // Share as the clock too (whatever this host's NTP says): still waiting for Share, exit 5, not 7.
    const asClock = await cli(["sync", ...args]);
    expect(asClock.code).toBe(EXIT.SHARE_UNAVAILABLE);

    await writeFile(join(dir, "config.json"), JSON.stringify({ share: { pasword: "x" } }));
    const bad = await cli(["sync", "--config", join(dir, "config.json"), ...args]);
    expect(bad.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(bad.stderr).toContain("share.pasword");
    expect(bad.stderr).toContain("did you mean");
  }, 40_000);
});
