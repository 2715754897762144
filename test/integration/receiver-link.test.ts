/**
 * Driver against the emulator over real transports: a real pseudo-terminal pair (socat) opened
 * through `serialport`, and raw TCP. For every profile the driver reads the identity, the clocks and
 * every EGV page, and the bytes equal the emulator's own pages.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReceiverInfo } from "../../src/cli/receiver-info.js";
import {
  createReceiverEmulator,
  PROFILE_IDS,
  type ReceiverEmulator,
} from "../../src/emulator/receiver/index.js";
import { ReadDatabasePageRange } from "../../src/receiver/commands.js";
import { Receiver } from "../../src/receiver/receiver.js";
import type { TransportOpener } from "../../src/receiver/transport.js";
import { serialOpener } from "../../src/receiver/transports/serial.js";
import { tcpOpener } from "../../src/receiver/transports/tcp.js";

const EGV = 4;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-pty-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAllPages(receiver: Receiver, recordType: number): Promise<Uint8Array[]> {
  const range = await receiver.call(ReadDatabasePageRange, recordType);
  if (range === undefined) return [];
  return receiver.readPages(recordType, range.firstPage, range.lastPage - range.firstPage + 1);
}

type Serve = (
  emulator: ReceiverEmulator,
  name: string,
) => Promise<{ opener: TransportOpener; close: () => Promise<void> }>;

const transports: [string, Serve][] = [
  [
    "pty (socat + serialport)",
    async (emulator, name) => {
      const pty = await emulator.servePty(join(dir, name));
      return { opener: serialOpener(pty.path), close: () => pty.close() };
    },
  ],
  [
    "tcp",
    async (emulator) => {
      const listener = await emulator.listenTcp("127.0.0.1", 0);
      return { opener: tcpOpener("127.0.0.1", listener.port), close: () => listener.close() };
    },
  ],
];

describe.each(transports)("driver against the emulator over %s", (_, serve) => {
  it.each(PROFILE_IDS)(
    "profile %s: identity, clocks, partitions and every EGV page byte for byte",
    async (profile) => {
      const emulator = createReceiverEmulator({ profile, seed: 11, days: 10 });
      const served = await serve(emulator, `rx-${profile}`);
      const receiver = await Receiver.open(served.opener, { timeoutMs: 1500 });
      try {
        const info = await readReceiverInfo(receiver);
        const model = emulator.model;
        expect(info.serial).toBe(model.serial);
        expect(info.transmitterId).toBe(model.transmitterId);
        expect(info.systemTimeOffset).toBe(model.clock.systemTimeOffset);
        expect(info.displayTimeOffset).toBe(model.clock.displayTimeOffset);
        expect(info.rtc + info.systemTimeOffset).toBe(info.systemTime);
        expect(Math.abs(info.systemTime - model.clock.systemTime)).toBeLessThanOrEqual(2);
        expect(info.generation).toBe(
          { g4: "G4", g4share: "G4", g5: "G5 Mobile", touchscreen: "G6 touchscreen" }[profile],
        );
        const egvPartition = info.partitions.find((p) => p.id === EGV);
        expect(egvPartition?.revision).toBe(model.partitions[EGV]?.revision);
        expect(egvPartition?.recordLength).toBe(model.partitions[EGV]?.recordLength);

        const pages = await readAllPages(receiver, EGV);
        const expected = emulator.pages(EGV);
        expect(pages.length).toBe(expected.length);
        expect(pages.length).toBeGreaterThan(10);
        expect(Buffer.concat(pages).equals(Buffer.concat(expected))).toBe(true);
        expect(receiver.pagesPerRequest).toBe(4);
        expect(receiver.stats.retries).toBe(0);
      } finally {
        await receiver.close();
        await served.close();
        await emulator.close();
      }
    },
  );
});

describe("faults", () => {
  it("a dump of every EGV page under crc=0.05,nak=0.05,silence=0.02,split=0.3 equals the fault-free dump", async () => {
    const emulator = createReceiverEmulator({ profile: "g4", seed: 5, days: 30 });
    const listener = await emulator.listenTcp("127.0.0.1", 0);
    const opener = tcpOpener("127.0.0.1", listener.port);
    const clean = await Receiver.open(opener);
    const reference = await readAllPages(clean, EGV);
    await clean.close();

    emulator.setFaults("crc=0.05,nak=0.05,silence=0.02,split=0.3");
    const faulty = await Receiver.open(opener, { timeoutMs: 400, retries: 4 });
    try {
      const pages = await readAllPages(faulty, EGV);
      expect(pages.length).toBe(reference.length);
      expect(pages.length).toBe(emulator.pages(EGV).length);
      expect(pages.length).toBeGreaterThan(200);
      expect(Buffer.concat(pages).equals(Buffer.concat(reference))).toBe(true);
      const injected = emulator.stats.faults;
      expect((injected.crc ?? 0) + (injected.nak ?? 0) + (injected.silence ?? 0)).toBeGreaterThan(0);
      expect(faulty.stats.retries).toBeGreaterThan(0);
    } finally {
      await faulty.close();
      await listener.close();
      await emulator.close();
    }
  });

  it("an unplug mid-transfer on a pty gives a typed error within the timeout, and the next open works", async () => {
    const emulator = createReceiverEmulator({ profile: "g5", seed: 3, days: 5, replugDelayMs: 1000 });
    const pty = await emulator.servePty(join(dir, "rx-unplug"));
    const timeoutMs = 1500;
    const receiver = await Receiver.open(serialOpener(pty.path), { timeoutMs });
    const range = await receiver.call(ReadDatabasePageRange, EGV);
    expect(range).toBeDefined();
    emulator.setFaults("unplug-after=2");
    const started = performance.now();
    const error = await readAllPages(receiver, EGV).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({
      code: expect.stringMatching(/^DEVICE_(DISCONNECTED|NOT_FOUND|OPEN_FAILED)$/),
    });
    expect(elapsed).toBeLessThan(timeoutMs);
    await receiver.close();

    emulator.setFaults({});
    await pty.ready();
    const again = await Receiver.open(serialOpener(pty.path), { timeoutMs });
    const pages = await readAllPages(again, EGV);
    expect(Buffer.concat(pages).equals(Buffer.concat(emulator.pages(EGV)))).toBe(true);
    await again.close();
    await pty.close();
    await emulator.close();
  });
});
