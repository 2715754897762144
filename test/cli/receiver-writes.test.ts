/** The two explicit receiver writes, against the receiver emulator over TCP. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { hostLocalReceiverSeconds } from "../../src/cli/receiver-set-display-offset.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { ReadChargerCurrentSetting } from "../../src/receiver/commands.js";
import { Receiver } from "../../src/receiver/receiver.js";
import { tcpOpener } from "../../src/receiver/transports/tcp.js";
import { receiverSecondsToNaiveIso } from "../../src/time/epoch.js";
import { cli } from "../support/cli.js";

let emulator: ReceiverEmulator;
let device: string;
let port: number;

/** 2026-03-01 12:00:00 UTC: the host's clock and the emulator's, fixed. */
const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);
const clock = { now: () => NOW_MS };
/** The receiver's system clock runs 1000 s behind true time; its wearer's clock shows system + 1 h. */
const SKEW_SECONDS = -1000;

beforeEach(async () => {
  emulator = createReceiverEmulator({
    profile: "g4",
    seed: 3,
    days: 1,
    now: clock.now,
    clock: { systemSkewSeconds: SKEW_SECONDS, displayOffsetSeconds: 3600 },
  });
  ({ port } = await emulator.listenTcp("127.0.0.1", 0));
  device = `tcp://127.0.0.1:${port}`;
});
afterEach(async () => {
  await emulator.close();
});

/** This machine's local time at NOW_MS as the receiver writes it (the test runs in any zone). */
const hostLocal = receiverSecondsToNaiveIso(hostLocalReceiverSeconds(NOW_MS)).replace("T", " ");

describe("receiver writes", () => {
  it("set-display-offset --offset writes the offset, reads it back, and shows the wearer's clock before and after", async () => {
    const run = await cli(
      ["receiver", "set-display-offset", "--offset=1000", "--device", device],
      undefined,
      {
        clock,
      },
    );
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe(
      "wearer's clock   2026-03-01 12:43:20 → 2026-03-01 12:00:00\n" +
        "display offset   3600 s → 1000 s\n" +
        `host local time  ${hostLocal}\n`,
    );
    expect(emulator.clock.displayTimeOffset).toBe(1000);
    expect(emulator.stats.requestsByCommand[0x1e]).toBe(1);
  });

  it("refuses a wearer's clock more than 24 h from the host's local time, unless --force", async () => {
    const args = ["receiver", "set-display-offset", "--offset=200000", "--device", device];
    const refused = await cli(args, undefined, { clock });
    expect(refused.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(refused.stderr).toContain("the wearer's clock would read 2026-03-03 19:16:40, ");
    expect(refused.stderr).toContain(
      `ahead of this machine's local time (${hostLocal}); nothing was written`,
    );
    expect(emulator.clock.displayTimeOffset).toBe(3600);
    expect(emulator.stats.requestsByCommand[0x1e]).toBeUndefined();
    const forced = await cli([...args, "--force"], undefined, { clock });
    expect(forced.code).toBe(EXIT.OK);
    expect(emulator.clock.displayTimeOffset).toBe(200000);
  });

  it("set-display-offset --match-host makes the display clock show this machine's local time", async () => {
    const run = await cli(["receiver", "set-display-offset", "--match-host", "--device", device], undefined, {
      clock,
    });
    expect(run.code).toBe(EXIT.OK);
    expect(emulator.clock.displayTime).toBe(hostLocalReceiverSeconds(NOW_MS));
    expect(run.stdout).toContain(`→ ${hostLocal}\n`);
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
