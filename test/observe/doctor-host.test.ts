/** Doctor: udev rule, ModemManager, clock, state directory and disk — against a fake root and commands. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clockCheck } from "../../src/observe/doctor/clock.js";
import { diskSpaceCheck, stateDirectoryCheck } from "../../src/observe/doctor/storage.js";
import type { DoctorFacts } from "../../src/observe/doctor/types.js";
import { modemManagerCheck, scanUdevRules, udevRuleCheck } from "../../src/observe/doctor/udev.js";
import { runCheck, testConfig } from "./support/doctor.js";
import { type FakeSystem, fakeEnvironment, fakeSystem, RULE_TEXT } from "./support/fake-system.js";

const INSTALL =
  "install the rule shipped with sharebridge: sudo cp systemd/99-dexcom-receiver.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger, then replug the receiver";
const local = (): DoctorFacts => ({ deviceKind: "auto" });

describe("doctor: host checks", () => {
  let system: FakeSystem;
  afterEach(async () => {
    await system?.remove();
  });

  describe("udev rule", () => {
    it("finds the rule in /etc or /lib", async () => {
      system = await fakeSystem({ files: { "/lib/udev/rules.d/99-dexcom-receiver.rules": RULE_TEXT } });
      expect(await runCheck(udevRuleCheck, testConfig(), fakeEnvironment({ system }), local())).toEqual({
        status: "ok",
        finding: `${join(system.root, "lib/udev/rules.d/99-dexcom-receiver.rules")} (tells ModemManager to ignore the receiver)`,
      });
    });

    it("recognises the rule sharebridge ships (systemd/99-dexcom-receiver.rules), ModemManager included", async () => {
      const shipped = await readFile(
        new URL("../../systemd/99-dexcom-receiver.rules", import.meta.url),
        "utf8",
      );
      system = await fakeSystem({ files: { "/etc/udev/rules.d/99-dexcom-receiver.rules": shipped } });
      const env = fakeEnvironment({
        system,
        commands: { "systemctl is-active ModemManager": { exitCode: 0, stdout: "active\n" } },
      });
      expect((await runCheck(udevRuleCheck, testConfig(), env, local())).status).toBe("ok");
      expect((await runCheck(modemManagerCheck, testConfig(), env, local())).status).toBe("ok");
    });

    it("fails without one, naming the rule to install; a rule masked in /etc does not count", async () => {
      system = await fakeSystem({
        files: {
          "/etc/udev/rules.d/10-other.rules": 'SUBSYSTEM=="usb", ATTRS{idVendor}=="1234"\n',
          "/etc/udev/rules.d/99-dexcom-receiver.rules": "",
          "/lib/udev/rules.d/99-dexcom-receiver.rules": RULE_TEXT,
          "/etc/udev/rules.d/50-commented.rules": '# ATTRS{idVendor}=="22a3", ATTRS{idProduct}=="0047"\n',
          "/etc/udev/rules.d/README": RULE_TEXT,
        },
      });
      expect(await runCheck(udevRuleCheck, testConfig(), fakeEnvironment({ system }), local())).toEqual({
        status: "fail",
        finding: "no udev rule for the receiver (22a3:0047) in /etc/udev/rules.d or /lib/udev/rules.d",
        fix: INSTALL,
      });
    });

    it("a rule without the ModemManager setting still counts as the rule", async () => {
      system = await fakeSystem({
        files: {
          "/etc/udev/rules.d/60-dexcom.rules":
            'ATTRS{idVendor}=="22A3", ATTRS{idProduct}=="0047", MODE="0666"\n',
        },
      });
      const rules = await scanUdevRules(fakeEnvironment({ system }));
      expect(rules).toEqual({
        mentioning: [join(system.root, "etc/udev/rules.d/60-dexcom.rules")],
        ignoringModemManager: [],
      });
      expect(
        (await runCheck(udevRuleCheck, testConfig(), fakeEnvironment({ system }), local())).finding,
      ).toMatch(/\(does not mention ModemManager\)$/);
    });

    it("does not apply to a network receiver, the emulator, or inside a container", async () => {
      system = await fakeSystem({ files: { "/.dockerenv": "" } });
      const env = fakeEnvironment({ system });
      expect(await runCheck(udevRuleCheck, testConfig(), env, { deviceKind: "tcp" })).toEqual({
        status: "skip",
        finding: "the receiver is not on this computer's USB",
      });
      expect(await runCheck(udevRuleCheck, testConfig(), env, local())).toEqual({
        status: "skip",
        finding: "in a container: this belongs to the host: install systemd/99-dexcom-receiver.rules there",
      });
      expect(await runCheck(modemManagerCheck, testConfig(), env, local())).toEqual({
        status: "skip",
        finding: "in a container: this belongs to the host",
      });
    });
  });

  describe("ModemManager", () => {
    const active = { "systemctl is-active ModemManager": { exitCode: 0, stdout: "active\n" } };

    it("not running, according to systemd", async () => {
      system = await fakeSystem();
      const env = fakeEnvironment({
        system,
        commands: { "systemctl is-active ModemManager": { exitCode: 3, stdout: "inactive\n" } },
      });
      expect(await runCheck(modemManagerCheck, testConfig(), env, local())).toEqual({
        status: "ok",
        finding: "not running (systemctl: inactive)",
      });
      expect(env.ran).toEqual(["systemctl is-active ModemManager"]);
    });

    it("running with the ignore rule is fine; running without it fails with the fix", async () => {
      system = await fakeSystem({ files: { "/etc/udev/rules.d/99-dexcom-receiver.rules": RULE_TEXT } });
      expect(
        await runCheck(
          modemManagerCheck,
          testConfig(),
          fakeEnvironment({ system, commands: active }),
          local(),
        ),
      ).toEqual({
        status: "ok",
        finding: `running (systemctl: active), told to ignore the receiver by ${join(system.root, "etc/udev/rules.d/99-dexcom-receiver.rules")}`,
      });
      await system.remove();
      system = await fakeSystem();
      expect(
        await runCheck(
          modemManagerCheck,
          testConfig(),
          fakeEnvironment({ system, commands: active }),
          local(),
        ),
      ).toEqual({
        status: "fail",
        finding:
          "running (systemctl: active) with no udev rule telling it to ignore the receiver: it probes the receiver as a modem, which garbles or stalls the link",
        fix: `${INSTALL}; or, with no modem on this computer, sudo systemctl disable --now ModemManager`,
      });
    });

    it("without systemd, looks for the process in /proc", async () => {
      system = await fakeSystem({ processes: { 1: "init", 812: "ModemManager", 900: "sshd" } });
      expect(
        await runCheck(modemManagerCheck, testConfig(), fakeEnvironment({ system }), local()),
      ).toMatchObject({
        status: "fail",
        finding: expect.stringMatching(/^running \(process 812\) with no udev rule/),
      });
      await system.remove();
      system = await fakeSystem({ processes: { 1: "init" } });
      const offline = { "systemctl is-active ModemManager": { exitCode: 1, stdout: "offline\n" } };
      expect(
        await runCheck(
          modemManagerCheck,
          testConfig(),
          fakeEnvironment({ system, commands: offline }),
          local(),
        ),
      ).toEqual({
        status: "ok",
        finding: "not running (no ModemManager process)",
      });
    });
  });

  describe("clock", () => {
    it("synchronised by systemd-timesyncd, timedatectl or the configuration", async () => {
      system = await fakeSystem({ files: { "/run/systemd/timesync/synchronized": "" } });
      expect(await runCheck(clockCheck, testConfig(), fakeEnvironment({ system }))).toEqual({
        status: "ok",
        finding: "synchronised (systemd-timesyncd: /run/systemd/timesync/synchronized exists)",
      });
      await system.remove();
      system = await fakeSystem();
      const yes = { "timedatectl show -p NTPSynchronized --value": { exitCode: 0, stdout: "yes\n" } };
      expect(await runCheck(clockCheck, testConfig(), fakeEnvironment({ system, commands: yes }))).toEqual({
        status: "ok",
        finding: "synchronised (timedatectl: NTPSynchronized=yes)",
      });
      const assumed = testConfig({ clock: { mode: "corrected", assumeSynchronized: true } });
      expect(await runCheck(clockCheck, assumed, fakeEnvironment({ system }))).toEqual({
        status: "ok",
        finding: "synchronised (config: clock.assumeSynchronized is true)",
      });
    });

    it("not synchronised: a warning with the fix", async () => {
      system = await fakeSystem();
      const no = { "timedatectl show -p NTPSynchronized --value": { exitCode: 0, stdout: "no\n" } };
      expect(await runCheck(clockCheck, testConfig(), fakeEnvironment({ system, commands: no }))).toEqual({
        status: "warn",
        finding:
          "not synchronised (/run/systemd/timesync/synchronized absent; timedatectl NTPSynchronized=no; chronyc unavailable; ntpstat unavailable); readings are stamped from Share's server time until it is",
        fix: "enable time synchronisation (sudo timedatectl set-ntp true, with network access), or in a container whose host keeps time set clock.assumeSynchronized to true",
      });
    });
  });

  describe("state directory and disk", () => {
    it("writable, valid state; missing but creatable; not writable; corrupt", async () => {
      system = await fakeSystem();
      const dir = join(system.root, "var", "lib", "sharebridge");
      await mkdir(dir, { recursive: true });
      const env = fakeEnvironment({ system });
      const cfg = testConfig({ stateDir: dir });
      await writeFile(join(dir, "state.json"), JSON.stringify({ version: 1, receivers: {}, accounts: {} }));
      const facts: DoctorFacts = {};
      expect(await runCheck(stateDirectoryCheck, cfg, env, facts)).toEqual({
        status: "ok",
        finding: `${dir} is writable; state.json is valid`,
      });
      expect(facts.state).toEqual({
        version: 2,
        receivers: {},
        accounts: {},
        lastSerial: undefined,
        lastCycle: undefined,
      });

      await writeFile(join(dir, "state.json"), "[]");
      expect(await runCheck(stateDirectoryCheck, cfg, env)).toEqual({
        status: "warn",
        finding: `${join(dir, "state.json")} is corrupt (not a version 2 state document)`,
        fix: "nothing to do: the daemon keeps a copy and starts from a safe default (a bounded backfill, whose duplicates Share ignores)",
      });

      const deeper = join(dir, "a", "b");
      expect(await runCheck(stateDirectoryCheck, testConfig({ stateDir: deeper }), env)).toEqual({
        status: "ok",
        finding: `${deeper} does not exist yet; it will be created in ${dir}`,
      });

      const readOnly = fakeEnvironment({ system, denied: { [dir]: "EROFS" } });
      expect(await runCheck(stateDirectoryCheck, cfg, readOnly)).toEqual({
        status: "fail",
        finding: `${dir} is not writable by pi (EROFS)`,
        fix: `make it writable by pi (sudo chown pi ${dir}), or set stateDir (--state-dir) to a writable directory; under systemd, StateDirectory= creates it`,
      });
      expect((await runCheck(stateDirectoryCheck, testConfig({ stateDir: deeper }), readOnly)).status).toBe(
        "fail",
      );

      const file = join(dir, "state.json");
      expect(await runCheck(stateDirectoryCheck, testConfig({ stateDir: file }), env)).toEqual({
        status: "fail",
        finding: `${file} is not a directory`,
        fix: "set stateDir (--state-dir) to a directory",
      });
    });

    it("disk space: ok, low (warn under 50 MiB), too low (fail under 5 MiB)", async () => {
      const dir = await mkdtemp(join(tmpdir(), "disk-"));
      system = await fakeSystem();
      try {
        const cfg = testConfig({ stateDir: join(dir, "not-yet") });
        const fix = "free some space on that file system, or set stateDir (--state-dir) to one with room";
        expect(
          await runCheck(diskSpaceCheck, cfg, fakeEnvironment({ system, freeBytes: 3 * 1024 ** 3 })),
        ).toEqual({
          status: "ok",
          finding: `3.0 GiB free for ${dir}`,
        });
        expect(
          await runCheck(diskSpaceCheck, cfg, fakeEnvironment({ system, freeBytes: 20 * 1024 ** 2 })),
        ).toEqual({
          status: "warn",
          finding: `only 20 MiB free for ${dir}`,
          fix,
        });
        expect(
          await runCheck(diskSpaceCheck, cfg, fakeEnvironment({ system, freeBytes: 1.5 * 1024 ** 2 })),
        ).toEqual({
          status: "fail",
          finding: `only 1.5 MiB free for ${dir}: state writes may fail`,
          fix,
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
