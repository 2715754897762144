/** Doctor: the device, permissions on it, and whether the receiver answers — against a fake /sys and /dev. */
import { constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { SharebridgeError } from "../../src/errors.js";
import { deviceCheck, modeText, permissionsCheck, readGroups } from "../../src/observe/doctor/device.js";
import { receiverCheck } from "../../src/observe/doctor/receiver.js";
import type { DoctorFacts } from "../../src/observe/doctor/types.js";
import { runCheck, testConfig } from "./support/doctor.js";
import { type FakeSystem, fakeEnvironment, fakeSystem } from "./support/fake-system.js";

describe("doctor: device, permissions, receiver", () => {
  let emulator: ReceiverEmulator;
  let system: FakeSystem;
  beforeAll(() => {
    emulator = createReceiverEmulator({ profile: "g4" });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(async () => {
    await system?.remove();
  });

  it("auto: finds the receiver by USB id and prefers its by-id link; then it answers", async () => {
    system = await fakeSystem();
    const env = fakeEnvironment({ system, opener: emulator.opener() });
    const facts: DoctorFacts = {};
    expect(await runCheck(deviceCheck, testConfig(), env, facts)).toEqual({
      status: "ok",
      finding: `${system.byId} (found by USB id 22a3:0047 via udev)`,
    });
    expect(facts.devicePath).toBe(system.byId);
    expect(await runCheck(permissionsCheck, testConfig(), env, facts)).toEqual({
      status: "ok",
      finding: `${system.node} (group dialout, mode crw-rw----) is readable and writable by pi`,
    });
    const answered = await runCheck(receiverCheck, testConfig(), env, facts);
    expect(answered.status).toBe("ok");
    expect(answered.finding).toMatch(
      new RegExp(`^${emulator.serial}, G4, firmware 2\\.0\\.1\\.104, battery \\d+ %$`),
    );
    expect(facts.serial).toBe(emulator.serial);
  });

  it("auto: no receiver, or two receivers", async () => {
    system = await fakeSystem({ receivers: 0 });
    expect(await runCheck(deviceCheck, testConfig(), fakeEnvironment({ system }))).toEqual({
      status: "fail",
      finding: "no receiver with USB id 22a3:0047 is connected",
      fix: "plug the receiver in with a data cable, not a charge-only one; `lsusb` should list 22a3:0047",
    });
    await system.remove();
    system = await fakeSystem({ receivers: 2 });
    const two = await runCheck(deviceCheck, testConfig(), fakeEnvironment({ system }));
    expect(two).toEqual({
      status: "warn",
      finding: `2 receivers are connected; sharebridge uses ${system.byId} (found by USB id 22a3:0047 via udev)`,
      fix: "unplug the others, or set device to the path of the one to upload from",
    });
  });

  it("a configured path must exist; tcp and the emulator have no local device", async () => {
    system = await fakeSystem();
    const env = fakeEnvironment({ system });
    const missing = join(system.root, "dev", "ttyACM7");
    expect(await runCheck(deviceCheck, testConfig({ device: missing }), env)).toEqual({
      status: "fail",
      finding: `no device at ${missing} (ENOENT)`,
      fix: "plug the receiver in with a data cable, check the path (ls -l /dev/serial/by-id/), or set device to auto",
    });
    expect(await runCheck(deviceCheck, testConfig({ device: system.node }), env)).toEqual({
      status: "ok",
      finding: `${system.node} exists`,
    });
    const notSerial = {
      status: "fail",
      fix: "set device to the receiver's tty (ls -l /dev/serial/by-id/ lists it), or to auto",
    };
    expect(await runCheck(deviceCheck, testConfig({ device: "/dev/null" }), env)).toEqual({
      ...notSerial,
      finding: "/dev/null is not a serial device: it is another character device",
    });
    const file = join(system.root, "etc", "group");
    expect(await runCheck(deviceCheck, testConfig({ device: file }), env)).toEqual({
      ...notSerial,
      finding: `${file} is not a serial device: it is a file`,
    });
    expect(await runCheck(deviceCheck, testConfig({ device: join(system.root, "dev") }), env)).toEqual({
      ...notSerial,
      finding: `${join(system.root, "dev")} is not a serial device: it is a directory`,
    });
    const tcp: DoctorFacts = {};
    expect(await runCheck(deviceCheck, testConfig({ device: "tcp://127.0.0.1:7373" }), env, tcp)).toEqual({
      status: "skip",
      finding:
        "a receiver shared over the network (tcp://127.0.0.1:7373); whether it answers is checked below",
    });
    expect(await runCheck(permissionsCheck, testConfig(), env, tcp)).toEqual({
      status: "skip",
      finding: "not a local serial device",
    });
    const emulated: DoctorFacts = {};
    expect(await runCheck(deviceCheck, testConfig({ device: "emulate:g5" }), env, emulated)).toEqual({
      status: "ok",
      finding: "the built-in receiver emulator (emulate:g5); no hardware involved",
    });
    expect((await runCheck(receiverCheck, testConfig(), env, emulated)).finding).toMatch(
      /^SM\d{8}, G5 Mobile, /,
    );
    await emulated.opener?.release();
    expect(await runCheck(deviceCheck, testConfig({ device: "emulate:g9" }), env)).toEqual({
      status: "fail",
      finding: 'unknown emulator profile "g9"',
      fix: "use one of emulate:g4|g4share|g5|touchscreen",
    });
  });

  it("permissions: not in the group, in it only from the next login, or in it and still refused", async () => {
    system = await fakeSystem({ dialoutMembers: ["alice"] });
    const facts: DoctorFacts = { devicePath: system.byId };
    const where = `${system.node} (group dialout, mode crw-rw----)`;
    expect(modeText(constants.S_IFCHR | 0o660)).toBe("crw-rw----");
    const denied = { [system.node]: "EACCES" };
    const notMember = fakeEnvironment({ system, denied, user: { name: "pi", uid: 1000, gids: [1000] } });
    expect(await runCheck(permissionsCheck, testConfig(), notMember, facts)).toEqual({
      status: "fail",
      finding: `cannot read and write ${where}: pi is not in group dialout`,
      fix: "sudo usermod -aG dialout pi, then log out and back in (the systemd unit and the Docker image run in group dialout already)",
    });
    const added = fakeEnvironment({ system, denied, user: { name: "alice", uid: 1001, gids: [1001] } });
    expect(await runCheck(permissionsCheck, testConfig(), added, facts)).toEqual({
      status: "fail",
      finding: `cannot read and write ${where}: alice was added to group dialout after this session started`,
      fix: "log out and back in (or reboot): a new group applies from the next login",
    });
    const member = fakeEnvironment({
      system,
      denied,
      user: { name: "alice", uid: 1001, gids: [system.gid] },
    });
    expect(await runCheck(permissionsCheck, testConfig(), member, facts)).toEqual({
      status: "fail",
      finding: `cannot read and write ${where} (EACCES) although alice is in group dialout`,
      fix: "install the udev rule systemd/99-dexcom-receiver.rules (it makes the receiver group-readable and -writable), then replug the receiver",
    });
    expect(await runCheck(permissionsCheck, testConfig(), member, {})).toEqual({
      status: "skip",
      finding: "no device to check",
    });
  });

  it("permissions: a device only its owner may open never sends the user to the owner's group", async () => {
    system = await fakeSystem();
    const facts: DoctorFacts = { devicePath: system.byId };
    const udevFix =
      "install the udev rule systemd/99-dexcom-receiver.rules (it gives the receiver group dialout, mode 0660) and replug the receiver; the systemd unit and the Docker image run in group dialout";
    const rootOnly = fakeEnvironment({
      system,
      denied: { [system.node]: "EACCES" },
      devices: { [system.node]: { uid: 0, gid: 0, permissions: 0o600 } },
      user: { name: "pi", uid: 1000, gids: [1000] },
    });
    expect(await runCheck(permissionsCheck, testConfig(), rootOnly, facts)).toEqual({
      status: "fail",
      finding: `cannot read and write ${system.node} (group root, mode crw-------): only its owner may`,
      fix: udevFix,
    });
    const groupReadOnly = fakeEnvironment({
      system,
      denied: { [system.node]: "EACCES" },
      devices: { [system.node]: { permissions: 0o640 } },
      user: { name: "pi", uid: 1000, gids: [1000] },
    });
    expect(await runCheck(permissionsCheck, testConfig(), groupReadOnly, facts)).toEqual({
      status: "fail",
      finding: `cannot read and write ${system.node} (group dialout, mode crw-r-----): only its owner may`,
      fix: udevFix,
    });
  });

  it("the receiver check says how it failed and what to do", async () => {
    system = await fakeSystem();
    const env = fakeEnvironment({ system });
    const unplugged: DoctorFacts = {
      opener: {
        opener: async () => {
          throw new SharebridgeError("DEVICE_OPEN_FAILED", "cannot open /dev/ttyACM0: Cannot lock port", {});
        },
        release: async () => undefined,
      },
    };
    expect(await runCheck(receiverCheck, testConfig(), env, unplugged)).toEqual({
      status: "fail",
      finding: "cannot open /dev/ttyACM0: Cannot lock port [DEVICE_OPEN_FAILED]",
      fix: "another program may hold the port (a running `sharebridge run`, ModemManager, a terminal program): stop it and try again; `sharebridge status` shows a running daemon's view",
    });
    expect(unplugged.serial).toBeUndefined();

    // A tcp:// address nothing listens on: a port that was just free.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const device = `tcp://127.0.0.1:${port}`;
    const tcp: DoctorFacts = {};
    await runCheck(deviceCheck, testConfig({ device }), env, tcp);
    const refused = await runCheck(receiverCheck, testConfig({ device }), env, tcp);
    expect([refused.status, refused.fix]).toEqual([
      "fail",
      `nothing accepts connections at ${device}: start what shares the receiver there (ser2net in raw mode, socat, or \`sharebridge emulate receiver --listen\`), or correct the device setting`,
    ]);
    expect(refused.finding).toContain("[DEVICE_NOT_FOUND]");
    expect(await runCheck(receiverCheck, testConfig(), env, {})).toEqual({
      status: "skip",
      finding: "no device to talk to",
    });
  });

  it("reads /etc/group defensively", async () => {
    const dir = await mkdtemp(join(tmpdir(), "group-"));
    try {
      expect(await readGroups(join(dir, "absent"))).toEqual(new Map());
      system = await fakeSystem({ dialoutMembers: ["pi", " bob "] });
      const groups = await readGroups(join(system.root, "etc", "group"));
      expect(groups.get(system.gid)).toEqual({ name: "dialout", members: ["pi", "bob"] });
      expect(groups.get(system.gid === 46 ? 47 : 46)).toEqual({ name: "plugdev", members: ["pi"] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
