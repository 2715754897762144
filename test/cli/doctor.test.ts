/**
 * `sharebridge doctor` as a command: all checks over a fake root, the receiver emulator in-process
 * and the Share emulator on loopback. Exact output when all is well; every failure with its fix and
 * exit 8 when not; never the password.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OptionValues } from "../../src/cli/command.js";
import { configFromOptions } from "../../src/cli/config-options.js";
import { DOCTOR_EXIT, doctorCommand } from "../../src/cli/doctor.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { silentLogger } from "../../src/log.js";
import {
  type FakeEnvironmentOptions,
  type FakeSystem,
  fakeEnvironment,
  fakeSystem,
  RULE_TEXT,
} from "../observe/support/fake-system.js";
import { cli } from "../support/cli.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";

const PASSWORD = "Corr3ct horse:battery";

async function runDoctorCommand(values: OptionValues, environment: FakeEnvironmentOptions) {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  const command = doctorCommand(() => fakeEnvironment(environment));
  const loaded = await configFromOptions(values, {});
  const code = await command.run({
    values,
    positionals: [],
    stdout,
    stderr: new PassThrough(),
    log: silentLogger,
    config: loaded.config,
    configFile: loaded.file,
    signal: new AbortController().signal,
    clock: { now: () => TEST_EPOCH_MS },
  });
  return { code, stdout: Buffer.concat(chunks).toString("utf8") };
}

describe("sharebridge doctor", () => {
  let receiver: ReceiverEmulator;
  let share: ShareEmulator;
  let system: FakeSystem;
  let dir: string;
  let values: OptionValues;

  beforeEach(async () => {
    receiver = createReceiverEmulator({ profile: "g4" });
    share = await startShareEmulator({
      accounts: [{ name: "alice", password: PASSWORD }],
      listen: { us: {} },
    });
    system = await fakeSystem({
      files: {
        "/etc/udev/rules.d/99-dexcom-receiver.rules": RULE_TEXT,
        "/run/systemd/timesync/synchronized": "",
      },
    });
    dir = await mkdtemp(join(tmpdir(), "doctor-cli-"));
    await mkdir(join(dir, "state"));
    await writeFile(join(dir, "password"), `${PASSWORD}\n`, { mode: 0o600 });
    values = {
      "state-dir": join(dir, "state"),
      server: share.url("us"),
      username: "alice",
      "password-file": join(dir, "password"),
    };
  });
  afterEach(async () => {
    await receiver.close();
    await share.close();
    await system.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it("all well: every check passes, exit 0, one login and one assignment query", async () => {
    share.state.assign(share.account("alice"), receiver.serial);
    const run = await runDoctorCommand(values, {
      system,
      opener: receiver.opener(),
      commands: { "systemctl is-active ModemManager": { exitCode: 3, stdout: "inactive\n" } },
    });
    const battery = /battery (\d+) %/.exec(run.stdout)?.[1];
    expect(run.stdout).toBe(`sharebridge doctor (configuration: no file; defaults, environment and flags)

  ok    receiver device      ${system.byId} (found by USB id 22a3:0047 via udev)
  ok    permissions          ${system.node} (group dialout, mode crw-rw----) is readable and writable by pi
  ok    udev rule            ${system.root}/etc/udev/rules.d/99-dexcom-receiver.rules (tells ModemManager to ignore the receiver)
  ok    ModemManager         not running (systemctl: inactive)
  ok    receiver answers     ${receiver.serial}, G4, firmware 2.0.1.104, battery ${battery} %
  ok    clock                synchronised (systemd-timesyncd: /run/systemd/timesync/synchronized exists)
  ok    state directory      ${dir}/state is writable; no state file yet (the first sync creates it)
  ok    disk space           1.0 GiB free for ${dir}/state
  ok    Share account        server ${share.url("us")}, account alice
  ok    password             read from the share.passwordFile (${dir}/password)
  ok    Share login          logged in as alice (account id ${share.account("alice").accountId})
  ok    receiver assignment  ${receiver.serial} is this account's receiver

No problems found.
`);
    expect(run.code).toBe(DOCTOR_EXIT.OK);
    expect(share.countsByOperation()).toEqual({
      "General/AuthenticatePublisherAccount": 1,
      "General/LoginPublisherAccountById": 1,
      "Publisher/CheckMonitoredReceiverAssignmentStatus": 1,
    });
  });

  it("everything wrong at once: each failure with its fix, exit 8, exactly one login request, no password", async () => {
    await writeFile(join(dir, "password"), "a wrong one\n");
    await rm(join(system.root, "etc/udev/rules.d/99-dexcom-receiver.rules"));
    await rm(join(system.root, "run/systemd/timesync/synchronized"));
    const run = await runDoctorCommand(values, {
      system,
      opener: receiver.opener(),
      denied: { [system.node]: "EACCES" },
      user: { name: "bob", uid: 1001, gids: [1001] },
      freeBytes: 2 * 1024 ** 2,
      commands: { "systemctl is-active ModemManager": { exitCode: 0, stdout: "active\n" } },
    });
    expect(run.code).toBe(DOCTOR_EXIT.CHECKS_FAILED);
    expect(run.code).toBe(8);
    const lines = run.stdout.split("\n");
    const marker = (label: string) =>
      lines
        .find((l) => l.slice(8).startsWith(label))
        ?.slice(2, 6)
        .trim();
    expect(
      Object.fromEntries(
        [
          "receiver device",
          "permissions",
          "udev rule",
          "ModemManager",
          "receiver answers",
          "clock",
          "state directory",
          "disk space",
          "Share account",
          "password",
          "Share login",
          "receiver assignment",
        ].map((label) => [label, marker(label)]),
      ),
    ).toEqual({
      "receiver device": "ok",
      permissions: "FAIL",
      "udev rule": "FAIL",
      ModemManager: "FAIL",
      "receiver answers": "ok",
      clock: "warn",
      "state directory": "ok",
      "disk space": "FAIL",
      "Share account": "ok",
      password: "ok",
      "Share login": "FAIL",
      "receiver assignment": "skip",
    });
    expect(run.stdout.match(/^ +fix: /gm)).toHaveLength(6);
    expect(run.stdout).toContain("fix: sudo usermod -aG dialout bob, then log out and back in");
    expect(run.stdout).toContain(
      "fix: install the rule shipped with sharebridge: sudo cp systemd/99-dexcom-receiver.rules",
    );
    expect(run.stdout.endsWith("\n5 checks failed, 1 warning.\n")).toBe(true);
    expect(share.count()).toBe(1);
    expect(run.stdout).not.toContain("a wrong one");
    expect(run.stdout).not.toContain(PASSWORD);
  });

  it("exits 2 when the configuration is invalid, before checking anything", async () => {
    for (const args of [
      ["doctor", "--region", "mars"],
      ["doctor", "--device", "http://x:1"],
      ["doctor", "--reading-interval", "soon"],
    ]) {
      const run = await cli(args);
      expect(run.code, args.join(" ")).toBe(EXIT.USAGE_OR_CONFIG);
      expect(run.stdout).toBe("");
    }
  });
});
