/** The two explicit receiver writes, against the receiver emulator over TCP. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { ReadChargerCurrentSetting } from "../../src/receiver/commands.js";
import { Receiver } from "../../src/receiver/receiver.js";
import { tcpOpener } from "../../src/receiver/transports/tcp.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { cli } from "../support/cli.js";

let emulator: ReceiverEmulator;
let device: string;
let port: number;

beforeEach(async () => {
  emulator = createReceiverEmulator({ profile: "g4", seed: 3, days: 1 });
  ({ port } = await emulator.listenTcp("127.0.0.1", 0));
  device = `tcp://127.0.0.1:${port}`;
});
afterEach(async () => {
  await emulator.close();
});

describe("receiver writes", () => {
  it("set-display-offset --offset writes the offset and reads it back", async () => {
    const before = emulator.clock.displayTimeOffset;
    const run = await cli(["receiver", "set-display-offset", "--offset=-25200", "--device", device]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe(`display offset ${before} s → -25200 s\n`);
    expect(emulator.clock.displayTimeOffset).toBe(-25200);
    expect(emulator.stats.requestsByCommand[0x1e]).toBe(1);
  });

  it("set-display-offset --match-host makes the display clock show this machine's local time", async () => {
    const run = await cli(["receiver", "set-display-offset", "--match-host", "--device", device]);
    expect(run.code).toBe(EXIT.OK);
    const now = Date.now();
    const localSeconds = Math.round(
      (now - new Date(now).getTimezoneOffset() * 60_000 - RECEIVER_EPOCH_MS) / 1000,
    );
    expect(Math.abs(emulator.clock.displayTime - localSeconds)).toBeLessThanOrEqual(2);
  });

  it("set-charger-current sets the level", async () => {
    const run = await cli(["receiver", "set-charger-current", "--level", "100mA", "--device", device]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe("charger current: power-100mA\n");
    const receiver = await Receiver.open(tcpOpener("127.0.0.1", port));
    expect(await receiver.call(ReadChargerCurrentSetting)).toBe(1);
    await receiver.close();
  });

  it("refuses bad arguments before touching the receiver", async () => {
    for (const args of [
      ["receiver", "set-display-offset", "--device", device],
      ["receiver", "set-display-offset", "--offset", "1", "--match-host", "--device", device],
      ["receiver", "set-display-offset", "--offset", "soon", "--device", device],
      ["receiver", "set-charger-current", "--level", "lots", "--device", device],
    ]) {
      expect((await cli(args)).code).toBe(EXIT.USAGE_OR_CONFIG);
    }
    expect(emulator.stats.requests).toBe(0);
  });
});
