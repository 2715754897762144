/**
 * The account's monitored receiver (share-api §4, §5.3, §14.1 item 3, §18.3; DESIGN §6): a free
 * slot is assigned; a slot held by another serial is taken in `auto` only when silent for 15
 * minutes, in `always` whatever, in `never` not at all; a serial owned by another account is never
 * taken. Every serial goes out in upper case (§18.2) to an emulator that compares them exactly.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import type { ReplaceReceiverSetting } from "../../src/share/settings.js";
import { failure } from "./support/failure.js";
import { logSink } from "./support/log-sink.js";
import {
  clientFor,
  emulatorWithWearer,
  OP,
  PASSWORD,
  readings,
  SERIAL,
  USER,
} from "./support/share-fixtures.js";

const OTHER_SERIAL = "SM87654321";
const T = Date.UTC(2026, 6, 1, 8, 0, 0);
const END = T / 1000;

describe("receiver assignment", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  const trace = () => emulator.requests.map((r) => [r.operation, r.code ?? r.status]);
  const start = async (heldBy?: "silent" | "active") => {
    emulator = await emulatorWithWearer({
      now: () => T,
      accounts: [
        {
          name: USER,
          password: PASSWORD,
          ...(heldBy === undefined ? {} : { heldBy: { serial: OTHER_SERIAL, activity: heldBy } }),
        },
        { name: "neighbour", password: "theirs" },
      ],
    });
  };
  const connect = (replaceReceiver?: ReplaceReceiverSetting, log = logSink()) => {
    client = clientFor(emulator, { replaceReceiver }, { clock: { now: () => T }, log: log.log });
    return log;
  };

  it("a serial owned by another account: SHARE_ASSIGNMENT, no Replace, no post, whatever the setting", async () => {
    await start();
    emulator.state.assign(emulator.account("neighbour"), SERIAL);
    connect("always");
    const error = await failure(client.postEgvs(SERIAL, readings(3, END)));
    expect(error.code).toBe("SHARE_ASSIGNMENT");
    expect(error.message).toMatch(/receiver SM12345678: assigned to another Share account/);
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 1, [OP.loginById]: 1, [OP.check]: 1 });
    expect(emulator.account("neighbour").assignedSerial).toBe(SERIAL);
    expect(emulator.account(USER).egvs).toHaveLength(0);
  });

  it("auto, the slot held by a serial silent for 15 minutes: one read, Replace with a warning, Start, post", async () => {
    await start("silent");
    const log = connect();
    await client.postEgvs(SERIAL, readings(3, END));
    expect(trace()).toEqual([
      [OP.authenticate, 200],
      [OP.loginById, 200],
      [OP.check, 200],
      [OP.start, "MonitoredReceiverSerialNumberDoesNotMatch"],
      [OP.read, 200],
      [OP.replace, 200],
      [OP.start, 200],
      [OP.post, 200],
    ]);
    const read = emulator.requests.find((r) => r.operation === OP.read);
    expect(read).toBeDefined();
    expect(emulator.account(USER).assignedSerial).toBe(SERIAL);
    expect(emulator.state.serials.has(OTHER_SERIAL)).toBe(false);
    const warning = log
      .lines()
      .find(
        (l) =>
          l["msg"] ===
          "the Share account monitored another receiver, silent for 15 minutes; taking its place",
      );
    expect(warning?.["level"]).toBe(40);
  });

  it("auto, another uploader posted 1 minute ago: SHARE_ASSIGNMENT naming the setting, slot untouched", async () => {
    await start("active");
    connect("auto");
    const error = await failure(client.postEgvs(SERIAL, readings(3, END)));
    expect(error.code).toBe("SHARE_ASSIGNMENT");
    expect(error.message).toBe(
      'receiver SM12345678: the account monitors another receiver whose uploader posted at 2026-07-01 07:59 UTC; sync stops (share.replaceReceiver is "auto": stop the other uploader, or set it to "always") [SHARE_ASSIGNMENT]',
    );
    expect(error.context).toMatchObject({
      serial: SERIAL,
      slot: "held-active",
      setting: "auto",
      key: "share.replaceReceiver",
      otherSerial: null,
      latestReadingMs: T - 60_000,
    });
    expect(trace()).toEqual([
      [OP.authenticate, 200],
      [OP.loginById, 200],
      [OP.check, 200],
      [OP.start, "MonitoredReceiverSerialNumberDoesNotMatch"],
      [OP.read, 200],
    ]);
    expect(emulator.account(USER).assignedSerial).toBe(OTHER_SERIAL);
  });

  it("always, another uploader active: Replace anyway, with a warning", async () => {
    await start("active");
    const log = connect("always");
    await client.postEgvs(SERIAL, readings(3, END));
    expect(emulator.countsByOperation()).toEqual({
      [OP.authenticate]: 1,
      [OP.loginById]: 1,
      [OP.check]: 1,
      [OP.start]: 2,
      [OP.read]: 1,
      [OP.replace]: 1,
      [OP.post]: 1,
    });
    expect(emulator.account(USER).assignedSerial).toBe(SERIAL);
    expect(log.text()).toContain("replacing it (share.replaceReceiver: always)");
  });

  it("never, even a silent slot: SHARE_ASSIGNMENT, slot untouched", async () => {
    await start("silent");
    connect("never");
    const error = await failure(client.postEgvs(SERIAL, readings(3, END)));
    expect(error.code).toBe("SHARE_ASSIGNMENT");
    expect(error.message).toMatch(/share.replaceReceiver is "never": set it to "auto" or "always"/);
    expect(emulator.count(OP.replace)).toBe(0);
    expect(emulator.account(USER).assignedSerial).toBe(OTHER_SERIAL);
  });

  it.each([
    ["silent", "auto", undefined, { [OP.post]: 2, [OP.read]: 1, [OP.replace]: 1, [OP.start]: 1 }],
    ["active", "auto", "SHARE_ASSIGNMENT", { [OP.post]: 1, [OP.read]: 1 }],
    ["active", "always", undefined, { [OP.post]: 2, [OP.read]: 1, [OP.replace]: 1, [OP.start]: 1 }],
    ["silent", "never", "SHARE_ASSIGNMENT", { [OP.post]: 1, [OP.read]: 1 }],
  ] as const)("taken over mid-run by a %s uploader (%s)", async (activity, setting, code, counts) => {
    await start();
    connect(setting);
    // Our last reading is 20 minutes old: within 15 minutes, our own reading would make the slot look active.
    await client.postEgvs(SERIAL, readings(1, END - 1200));
    // The official app on the wearer's phone assigned its own transmitter to the account.
    emulator.holdSlot(USER, OTHER_SERIAL, activity);
    emulator.clearRequests();
    const outcome = client.postEgvs(SERIAL, readings(1, END));
    if (code === undefined) await outcome;
    else expect((await failure(outcome)).code).toBe(code);
    expect(emulator.countsByOperation()).toEqual(counts);
  });

  it("released mid-run (no receiver on the account): Replace, Start, repeat", async () => {
    await start();
    connect();
    await client.postEgvs(SERIAL, readings(1, END - 300));
    const account = emulator.account(USER);
    emulator.state.serials.delete(SERIAL);
    account.assignedSerial = undefined;
    emulator.clearRequests();
    await client.postEgvs(SERIAL, readings(1, END));
    expect(trace()).toEqual([
      [OP.post, "MonitoredReceiverNotAssigned"],
      [OP.replace, 200],
      [OP.start, 200], // a new receiver on the account needs a new monitoring session
      [OP.post, 200],
    ]);
    expect(account.egvs).toHaveLength(2);
  });

  it.each([
    ["fault", "SerialNumberAssignedToYou"],
    ["ok", 200],
  ] as const)("Replace with the serial the account already has (%s) is success", async (style, answer) => {
    emulator = await emulatorWithWearer({ knobs: { replaceSameSerial: style } });
    emulator.state.assign(emulator.account(USER), SERIAL);
    client = clientFor(emulator);
    await client.replaceReceiver(SERIAL);
    expect(
      emulator.requests.filter((r) => r.operation === OP.replace).map((r) => r.code ?? r.status),
    ).toEqual([answer]);
  });

  it("a receiver that stores its serial in lower case goes to Share in upper case everywhere (share-api §18.2)", async () => {
    await start();
    connect();
    await client.postEgvs("sm12345678", readings(2, END));
    expect(emulator.account(USER).assignedSerial).toBe(SERIAL);
    expect(emulator.account(USER).egvs.map((e) => e.sn)).toEqual([SERIAL, SERIAL]);
    expect(await client.assignmentStatus("sm12345678")).toBe("AssignedToYou");
    // The emulator compares exactly: the lower-case serial itself is unknown to it.
    expect(emulator.state.serials.has("sm12345678")).toBe(false);
  });

  it("assignmentStatus reports the three answers", async () => {
    await start();
    emulator.state.assign(emulator.account("neighbour"), OTHER_SERIAL);
    connect();
    expect(await client.assignmentStatus(SERIAL)).toBe("NotAssigned");
    expect(await client.assignmentStatus(OTHER_SERIAL)).toBe("AssignedToSomeoneElse");
    await client.replaceReceiver(SERIAL);
    expect(await client.assignmentStatus(SERIAL)).toBe("AssignedToYou");
  });

  it.each([
    [undefined, "auto", "free", "assign"],
    ["silent", "auto", "held-silent", "replace"],
    ["active", "auto", "held-active", "refuse"],
    ["active", "always", "held-active", "replace"],
    ["silent", "never", "held-silent", "refuse"],
  ] as const)(
    "describeAssignment: slot held %s, %s → %s, %s; nothing changes",
    async (heldBy, setting, slot, action) => {
      await start(heldBy);
      connect(setting);
      const before = emulator.account(USER).assignedSerial;
      const report = await client.describeAssignment("sm12345678");
      expect(report).toMatchObject({ serial: SERIAL, status: "NotAssigned", slot, setting, action });
      expect(emulator.account(USER).assignedSerial).toBe(before);
      expect(emulator.count(OP.replace)).toBe(0);
    },
  );

  it("describeAssignment: ours and owned elsewhere need no Start", async () => {
    await start();
    emulator.state.assign(emulator.account("neighbour"), OTHER_SERIAL);
    emulator.state.assign(emulator.account(USER), SERIAL);
    connect();
    expect(await client.describeAssignment(SERIAL)).toEqual({
      serial: SERIAL,
      status: "AssignedToYou",
      slot: "ours",
      setting: "auto",
      action: "none",
    });
    expect((await client.describeAssignment(OTHER_SERIAL)).slot).toBe("owned-elsewhere");
    expect(emulator.count(OP.start)).toBe(0);
  });
});
