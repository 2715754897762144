/**
 * The quick receiver probe over a real pty (socat) served by the receiver emulator: it reads
 * identity and battery, and recognises a port held by another process (serialport locks the tty,
 * as the running daemon does) instead of calling the receiver absent.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createReceiverEmulator,
  type PtyHandle,
  type ReceiverEmulator,
} from "../../src/emulator/receiver/index.js";
import { probeReceiver } from "../../src/observe/receiver-probe.js";
import { Receiver } from "../../src/receiver/receiver.js";
import { serialOpener } from "../../src/receiver/transports/serial.js";

describe("probeReceiver over a pty", () => {
  let emulator: ReceiverEmulator;
  let pty: PtyHandle;
  let dir: string;
  const device = () => ({ opener: serialOpener(pty.path), release: async () => undefined });

  beforeAll(async () => {
    emulator = createReceiverEmulator({ profile: "touchscreen", seed: 3 });
    dir = await mkdtemp(join(tmpdir(), "probe-"));
    pty = await emulator.servePty(join(dir, "dexcom"));
    await pty.ready();
  });
  afterAll(async () => {
    await pty.close();
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reads identity and battery, then releases the port", async () => {
    const probe = await probeReceiver(device());
    expect(probe).toMatchObject({
      present: true,
      inUse: false,
      device: pty.path,
      serial: emulator.serial,
      error: null,
    });
    expect(probe.generation).toMatch(/touchscreen$/);
    expect(probe.batteryPercent).toBeGreaterThanOrEqual(0);
    // Released: the next open succeeds.
    expect((await probeReceiver(device())).present).toBe(true);
  });

  it("a port another process holds is 'in use', not 'absent'", async () => {
    const daemon = await Receiver.open(serialOpener(pty.path));
    try {
      const probe = await probeReceiver(device());
      expect(probe.present).toBe(false);
      expect(probe.inUse).toBe(true);
      expect(probe.error?.code).toBe("DEVICE_OPEN_FAILED");
    } finally {
      await daemon.close();
    }
  });
});
