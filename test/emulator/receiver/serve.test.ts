/**
 * Serving: raw TCP (one session per connection) and a real pseudo-terminal through socat, with a
 * real serialport client; unplug and clean shutdown without leaked handles.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { createReceiverEmulator, type ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import { encodePacket } from "../../../src/wire/packet.js";
import { hex, NOW, sleep, toHex } from "./helpers.js";

const PING = hex("01 06 00 0A 5E 65");
const PING_ACK = "01 06 00 01 35 D4";

let emulator: ReceiverEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Counts of the handle kinds the emulator could leak. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (["TCPServerWrap", "TCPSocketWrap", "ProcessWrap", "PipeWrap", "TTYWrap"].includes(kind)) {
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  return counts;
}

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await sleep(10);
  }
}

describe("TCP", () => {
  async function exchange(port: number, bytes: Uint8Array, expectLength: number): Promise<Uint8Array> {
    const socket: Socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(bytes);
    await waitFor(() => Buffer.concat(chunks).length >= expectLength);
    socket.destroy();
    return Uint8Array.from(Buffer.concat(chunks));
  }

  test("Ping round trip on a loopback port chosen by the system; one session per connection", async () => {
    emulator = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW });
    const listener = await emulator.listenTcp("127.0.0.1", 0);
    expect(listener.host).toBe("127.0.0.1");
    expect(listener.port).toBeGreaterThan(0);
    expect(toHex(await exchange(listener.port, PING, 6))).toBe(PING_ACK);
    const pages = await exchange(listener.port, encodePacket(0x11, Uint8Array.of(4, 0, 0, 0, 0, 4)), 2118);
    expect(pages.length).toBe(2118);
    await waitFor(() => emulator?.stats.connections === 2);
  });

  test("an unplug closes the socket; the next connection works", async () => {
    emulator = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW });
    const { port } = await emulator.listenTcp();
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    await waitFor(() => emulator?.stats.connections === 1);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    emulator.unplug();
    await closed;
    expect(toHex(await exchange(port, PING, 6))).toBe(PING_ACK);
  });

  test("a bad listen address is a CONFIG_INVALID error", async () => {
    emulator = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW });
    await expect(emulator.listenTcp("127.0.0.1", 70_000)).rejects.toThrow(/CONFIG_INVALID/);
  });
});

describe("pseudo-terminal", () => {
  const dir = mkdtempSync(join(tmpdir(), "sharebridge-pty-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function openPort(path: string): Promise<{ port: SerialPort; chunks: Buffer[] }> {
    const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const chunks: Buffer[] = [];
    port.on("data", (chunk: Buffer) => chunks.push(chunk));
    port.on("error", () => undefined);
    return { port, chunks };
  }

  async function ping(path: string, closeAfter = true): Promise<string> {
    const { port, chunks } = await openPort(path);
    port.write(Buffer.from(PING));
    await waitFor(() => Buffer.concat(chunks).length >= 6);
    if (closeAfter) await new Promise<void>((resolve) => port.close(() => resolve()));
    return toHex(Uint8Array.from(Buffer.concat(chunks)));
  }

  test("Ping round trips through a real serialport client, across repeated opens and closes", async () => {
    const before = handles();
    emulator = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW });
    const path = join(dir, "receiver-a");
    const pty = await emulator.servePty(path);
    expect(pty.path).toBe(path);
    for (let i = 0; i < 3; i++) expect(await ping(path)).toBe(PING_ACK);
    await emulator.close();
    emulator = undefined;
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.device`)).toBe(false);
    // Nothing the emulator opened (server, sockets, socat, its tty) is still held.
    await waitFor(() => Object.entries(handles()).every(([kind, n]) => n <= (before[kind] ?? 0)));
  });

  test("unplug: the open port fails, the pty comes back at the same path, and the next open works", async () => {
    emulator = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW, replugDelayMs: 50 });
    const path = join(dir, "receiver-b");
    const pty = await emulator.servePty(path);
    const { port } = await openPort(path);
    const closed = new Promise<void>((resolve) => port.once("close", () => resolve()));
    emulator.unplug();
    await waitFor(() => !existsSync(path));
    // On Linux a pty's hang-up shows on the next write (EIO), then the port closes.
    await sleep(20);
    port.write(Buffer.from(PING));
    await closed;
    await pty.ready();
    expect(existsSync(path)).toBe(true);
    expect(await ping(path)).toBe(PING_ACK);
  });

  test("unplug-after fault on a pty: a partial reply, then the pty vanishes and returns", async () => {
    emulator = createReceiverEmulator({
      seed: 1,
      days: 1,
      now: () => NOW,
      faults: "unplug-after=1",
      replugDelayMs: 50,
    });
    const path = join(dir, "receiver-c");
    const pty = await emulator.servePty(path);
    expect(await ping(path)).toBe(PING_ACK);
    const { port, chunks } = await openPort(path);
    port.write(Buffer.from(encodePacket(0x11, Uint8Array.of(4, 0, 0, 0, 0, 4))));
    await waitFor(() => !existsSync(path));
    const received = Buffer.concat(chunks).length;
    expect(received).toBeLessThan(2118);
    expect(emulator.stats.faults.unplug).toBe(1);
    port.write(Buffer.from(PING), () => undefined);
    await waitFor(() => !port.isOpen);
    await pty.ready();
    expect(await ping(path)).toBe(PING_ACK);
  });

  test("refuses to replace a file that is not a stale pty link", async () => {
    emulator = createReceiverEmulator({ seed: 1, days: 1, now: () => NOW });
    const path = join(dir, "precious");
    writeFileSync(path, "keep me");
    await expect(emulator.servePty(path)).rejects.toThrow(/refusing to replace/);
    expect(existsSync(path)).toBe(true);
    await expect(emulator.servePty(join(dir, "bad,name"))).rejects.toThrow(/CONFIG_INVALID/);
  });
});
