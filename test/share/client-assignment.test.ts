/**
 * The account's monitored receiver (share-api §4, §5.3, §14.1 item 3; DESIGN §6): a free serial is
 * assigned to an account without one; another serial is replaced only with `replaceReceiver`; a
 * serial owned by another account is never taken.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { failure } from "./support/failure.js";
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
const now = () => Math.floor(Date.now() / 1000);

describe("receiver assignment", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("a serial owned by another account: SHARE_ASSIGNMENT, no Replace, no post", async () => {
    emulator = await emulatorWithWearer({
      accounts: [
        { name: USER, password: PASSWORD },
        { name: "neighbour", password: "theirs" },
      ],
    });
    emulator.state.assign(emulator.account("neighbour"), SERIAL);
    client = clientFor(emulator, { replaceReceiver: true });
    const error = await failure(client.postEgvs(SERIAL, readings(3, now())));
    expect(error.code).toBe("SHARE_ASSIGNMENT");
    expect(error.message).toMatch(/assigned to another Share account/);
    expect(emulator.countsByOperation()).toEqual({ [OP.authenticate]: 1, [OP.loginById]: 1, [OP.check]: 1 });
    expect(emulator.account("neighbour").assignedSerial).toBe(SERIAL);
    expect(emulator.account(USER).egvs).toHaveLength(0);
  });

  it("the account monitors another receiver and replaceReceiver is off: SHARE_ASSIGNMENT, slot untouched", async () => {
    emulator = await emulatorWithWearer();
    emulator.state.assign(emulator.account(USER), OTHER_SERIAL);
    client = clientFor(emulator);
    const error = await failure(client.postEgvs(SERIAL, readings(3, now())));
    expect(error.code).toBe("SHARE_ASSIGNMENT");
    expect(error.message).toMatch(/share\.replaceReceiver/);
    expect(emulator.countsByOperation()).toEqual({
      [OP.authenticate]: 1,
      [OP.loginById]: 1,
      [OP.check]: 1,
      [OP.start]: 1,
    });
    expect(emulator.account(USER).assignedSerial).toBe(OTHER_SERIAL);
  });

  it("the account monitors another receiver and replaceReceiver is on: Replace, Start, post", async () => {
    emulator = await emulatorWithWearer();
    emulator.state.assign(emulator.account(USER), OTHER_SERIAL);
    client = clientFor(emulator, { replaceReceiver: true });
    await client.postEgvs(SERIAL, readings(3, now()));
    expect(emulator.requests.map((r) => [r.operation, r.code ?? r.status])).toEqual([
      [OP.authenticate, 200],
      [OP.loginById, 200],
      [OP.check, 200],
      [OP.start, "MonitoredReceiverSerialNumberDoesNotMatch"],
      [OP.replace, 200],
      [OP.start, 200],
      [OP.post, 200],
    ]);
    expect(emulator.account(USER).assignedSerial).toBe(SERIAL);
    expect(emulator.state.serials.has(OTHER_SERIAL)).toBe(false);
  });

  it.each([
    [false, "SHARE_ASSIGNMENT", { [OP.post]: 1 }],
    [true, undefined, { [OP.post]: 2, [OP.replace]: 1, [OP.start]: 1 }],
  ] as const)(
    "taken over mid-run by another receiver (replaceReceiver %s)",
    async (replace, code, counts) => {
      emulator = await emulatorWithWearer();
      client = clientFor(emulator, { replaceReceiver: replace });
      const end = now();
      await client.postEgvs(SERIAL, readings(1, end - 300));
      // The official app on the wearer's phone assigned its own transmitter to the account.
      emulator.state.assign(emulator.account(USER), OTHER_SERIAL);
      emulator.clearRequests();
      const outcome = client.postEgvs(SERIAL, readings(1, end));
      if (code === undefined) await outcome;
      else expect((await failure(outcome)).code).toBe(code);
      expect(emulator.countsByOperation()).toEqual(counts);
    },
  );

  it("released mid-run (no receiver on the account): Replace, Start, repeat", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = now();
    await client.postEgvs(SERIAL, readings(1, end - 300));
    const account = emulator.account(USER);
    emulator.state.serials.delete(SERIAL);
    account.assignedSerial = undefined;
    emulator.clearRequests();
    await client.postEgvs(SERIAL, readings(1, end));
    expect(emulator.requests.map((r) => [r.operation, r.code ?? r.status])).toEqual([
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

  it("assignmentStatus reports the three states", async () => {
    emulator = await emulatorWithWearer({
      accounts: [
        { name: USER, password: PASSWORD },
        { name: "neighbour", password: "theirs" },
      ],
    });
    emulator.state.assign(emulator.account("neighbour"), OTHER_SERIAL);
    client = clientFor(emulator);
    expect(await client.assignmentStatus(SERIAL)).toBe("NotAssigned");
    expect(await client.assignmentStatus(OTHER_SERIAL)).toBe("AssignedToSomeoneElse");
    await client.replaceReceiver(SERIAL);
    expect(await client.assignmentStatus(SERIAL)).toBe("AssignedToYou");
  });
});
