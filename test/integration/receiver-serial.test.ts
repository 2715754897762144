/**
 * Choosing the receiver by serial (receiver.serial, issue 14) over real pseudo-terminals: three
 * receiver emulators, each behind a pty link in one folder (as /dev/ttyACM0–2), found through the
 * pattern `ttyACM?`. The opener asks each candidate who it is and opens only the one with the serial;
 * a port another process holds is skipped; the session refuses any other serial.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openerBySerial } from "../../src/app/receiver-by-serial.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { silentLogger } from "../../src/log.js";
import { parseDeviceSpec } from "../../src/receiver/device.js";
import { Receiver } from "../../src/receiver/receiver.js";
import type { Transport } from "../../src/receiver/transport.js";
import { serialOpener } from "../../src/receiver/transports/serial.js";
import { readIdentity } from "../../src/records/identity.js";
import { openReceiverSession } from "../../src/sync/receiver-session.js";
import { cli } from "../support/cli.js";

const SEEDS = [101, 102, 103];
const ignore = { data: () => undefined, closed: () => undefined };

let dir: string;
let emulators: ReceiverEmulator[] = [];
const held: Transport[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-serial-"));
  emulators = SEEDS.map((seed) => createReceiverEmulator({ profile: "g4", seed, days: 1 }));
  for (const [n, emulator] of emulators.entries()) await emulator.servePty(join(dir, `ttyACM${n}`));
});

afterEach(async () => {
  for (const transport of held.splice(0)) await transport.close();
  for (const emulator of emulators) await emulator.close();
  emulators = [];
  await rm(dir, { recursive: true, force: true });
});

const pattern = () => parseDeviceSpec(join(dir, "ttyACM?"));
const serials = () => emulators.map((e) => e.serial);

async function serialVia(
  opener: ReturnType<typeof openerBySerial>,
): Promise<{ serial: string; device: string }> {
  const receiver = await Receiver.open(opener, { log: silentLogger });
  try {
    return { serial: (await readIdentity(receiver)).serial, device: receiver.description };
  } finally {
    await receiver.close();
  }
}

describe("receiver.serial over ptys", () => {
  it("opens exactly the receiver with the serial, whichever link it is behind", async () => {
    expect(new Set(serials()).size).toBe(3);
    for (const [n, serial] of serials().entries()) {
      const found: string[] = [];
      const opener = openerBySerial(pattern(), serial, {
        log: silentLogger,
        onDiscovered: (path, others) => found.push(`${path} +${others}`),
      });
      expect(await serialVia(opener)).toEqual({ serial, device: join(dir, `ttyACM${n}`) });
      expect(found).toEqual([`${join(dir, `ttyACM${n}`)} +2`]);
    }
  });

  it("skips a port another process holds, and says what it found when the serial is absent", async () => {
    // Holding ttyACM0 locks it (serialport's flock), as a running instance would.
    held.push(await serialOpener(join(dir, "ttyACM0"))(ignore));
    const [first, second, third] = serials() as [string, string, string];
    const opener = openerBySerial(pattern(), third, { log: silentLogger });
    expect(await serialVia(opener)).toEqual({ serial: third, device: join(dir, "ttyACM2") });

    const absent = openerBySerial(pattern(), "SM00000001", { log: silentLogger });
    await expect(absent(ignore)).rejects.toThrow(
      `no free receiver has serial SM00000001 (found ${join(dir, "ttyACM0")} in use by another process; ${second} on ${join(dir, "ttyACM1")}; ${third} on ${join(dir, "ttyACM2")}): cannot lock port of the one in use [DEVICE_OPEN_FAILED]`,
    );
    expect(first).not.toBe(second);
    await held.splice(0)[0]?.close();
    await expect(absent(ignore)).rejects.toThrow(
      `no receiver with serial SM00000001 is connected (found ${first} on ${join(dir, "ttyACM0")}; ${second} on ${join(dir, "ttyACM1")}; ${third} on ${join(dir, "ttyACM2")}) [DEVICE_NOT_FOUND]`,
    );
  });

  it("status next to the instance that holds the receiver says it is in use", async () => {
    const [, second] = serials() as [string, string];
    held.push(await serialOpener(join(dir, "ttyACM1"))(ignore));
    const run = await cli([
      "status",
      "--json",
      "--device",
      join(dir, "ttyACM?"),
      "--receiver-serial",
      second,
      "--state-dir",
      join(dir, "state"),
    ]);
    expect(JSON.parse(run.stdout).receiver).toMatchObject({ present: false, inUse: true, serial: null });
  });

  it("the session refuses a receiver with another serial than receiver.serial", async () => {
    const [first, second] = serials() as [string, string];
    const path = join(dir, "ttyACM1");
    await expect(openReceiverSession(serialOpener(path), { expectedSerial: first })).rejects.toThrow(
      `the receiver on ${path} is ${second}, not ${first} (receiver.serial) [DEVICE_NOT_FOUND]`,
    );
    const session = await openReceiverSession(serialOpener(path), { expectedSerial: second.toLowerCase() });
    expect(session.serial).toBe(second);
    await session.close();
  });

  it("receiver list shows each receiver's serial, product and device path, and one in use as such", async () => {
    held.push(await serialOpener(join(dir, "ttyACM1"))(ignore));
    const [first, , third] = serials() as [string, string, string];
    const run = await cli(["receiver", "list", "--device", join(dir, "ttyACM?")]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const col = (text: string, width: number) => text.padEnd(width);
    const product = "Dexcom G4 Receiver, G4";
    expect(run.stdout).toBe(
      [
        `SERIAL      ${col("PRODUCT", 27)}  DEVICE`,
        `${first}  ${col(product, 27)}  ${join(dir, "ttyACM0")}`,
        `—           ${col("(in use by another process)", 27)}  ${join(dir, "ttyACM1")}`,
        `${third}  ${col(product, 27)}  ${join(dir, "ttyACM2")}`,
        "",
      ].join("\n"),
    );
    const json = await cli(["receiver", "list", "--json", "--device", join(dir, "ttyACM?")]);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        device: join(dir, "ttyACM0"),
        serial: first,
        productName: "Dexcom G4 Receiver",
        generation: "G4",
        firmwareVersion: expect.any(String),
        inUse: false,
        problem: null,
      },
      {
        device: join(dir, "ttyACM1"),
        serial: null,
        productName: null,
        generation: null,
        firmwareVersion: null,
        inUse: true,
        problem: null,
      },
      {
        device: join(dir, "ttyACM2"),
        serial: third,
        productName: "Dexcom G4 Receiver",
        generation: "G4",
        firmwareVersion: expect.any(String),
        inUse: false,
        problem: null,
      },
    ]);
  });
});
