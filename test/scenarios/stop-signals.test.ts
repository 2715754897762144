/**
 * SIGTERM and Ctrl-C end `sync` and the daemon within 2 s whatever they are waiting for (issue 11):
 * a receiver that never answers, a Share that trickles its answer a byte at a time, a long backfill
 * read. The built CLI runs as a child process against real TCP and HTTP on loopback; the signal is
 * sent once the command is known to be waiting there, and the time from the signal to the exit is
 * measured. (The hostile receivers' full matrix, with memory, is test/soak/hostile-receivers.test.ts.)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { accountArgs } from "../support/cli.js";
import { runMeasured } from "../support/measured-process.js";

const STOP_WITHIN_MS = 2000;
const USER = "carer";
const PASSWORD = "pw-for-tests";

let dir: string;
let share: ShareEmulator | undefined;
let receiver: ReceiverEmulator | undefined;
const servers: Server[] = [];
const sockets = new Set<Socket>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-stop-"));
  await writeFile(join(dir, "password"), `${PASSWORD}\n`);
});

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await share?.close();
  await receiver?.close();
  share = undefined;
  receiver = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A TCP server on loopback; `onConnection` gets each socket (kept for cleanup). */
async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

function argsFor(device: string, server: string): string[] {
  return accountArgs({
    device,
    server,
    username: USER,
    passwordFile: join(dir, "password"),
    stateDir: join(dir, "state"),
  });
}

describe("a stop signal ends the command within 2 s", () => {
  it.each(["sync", "run"] as const)(
    "%s, while the receiver never answers: SIGTERM at the first request",
    async (command) => {
      share = await startShareEmulator({ accounts: [{ name: USER, password: PASSWORD }] });
      // Accepts, reads, never answers: every request waits for its 1.5 s timeout, three times, then a reopen.
      const port = await listen((socket) => socket.resume());
      const run = await runMeasured(
        [command, ...argsFor(`tcp://127.0.0.1:${port}`, share.url("us")), "--log-level", "trace"],
        {
          stopAt: { marker: '"direction":"tx"', signal: "SIGTERM" },
          limitMs: 20_000,
        },
      );
      console.log(
        `stop ${command}, silent receiver: ${JSON.stringify({ code: run.code, stopMs: run.stopMs, peakMiB: run.peakMiB })}`,
      );
      expect(run.code).toBe(command === "sync" ? EXIT.INTERRUPTED : EXIT.OK);
      expect(run.stopMs).toBeLessThan(STOP_WITHIN_MS);
    },
  );

  it.each(["sync", "run"] as const)(
    "%s, while Share trickles its answer a byte every 500 ms: SIGTERM once the request is sent",
    async (command) => {
      share = await startShareEmulator({
        accounts: [{ name: USER, password: PASSWORD }],
        knobs: { faults: { trickle: { intervalMs: 500, paddingBytes: 60 } } },
      });
      receiver = createReceiverEmulator({ profile: "g4", seed: 4, days: 1 });
      const device = await receiver.listenTcp("127.0.0.1", 0);
      // Share behind a relay that notes when the command's first request reached it.
      const target = new URL(share.url("us"));
      let requestSent = false;
      const relay = await listen((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        sockets.add(upstream);
        upstream.on("error", () => client.destroy());
        client.on("data", (chunk: Buffer) => {
          requestSent = true;
          upstream.write(chunk);
        });
        upstream.on("data", (chunk: Buffer) => client.write(chunk));
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
      });
      const run = await runMeasured(
        [command, ...argsFor(`tcp://127.0.0.1:${device.port}`, `http://127.0.0.1:${relay}`)],
        {
          stopAt: { when: () => requestSent, signal: "SIGTERM" },
          limitMs: 60_000,
        },
      );
      console.log(
        `stop ${command}, trickling Share: ${JSON.stringify({ code: run.code, stopMs: run.stopMs, peakMiB: run.peakMiB })}`,
      );
      expect(run.code).toBe(command === "sync" ? EXIT.INTERRUPTED : EXIT.OK);
      expect(run.stopMs).toBeLessThan(STOP_WITHIN_MS);
    },
  );

  it("Ctrl-C during a 30-day backfill read at a real receiver's pace: sync exits 130 within 2 s", async () => {
    share = await startShareEmulator({ accounts: [{ name: USER, password: PASSWORD }] });
    receiver = createReceiverEmulator({ profile: "g4", seed: 6, days: 30, realistic: true });
    const device = await receiver.listenTcp("127.0.0.1", 0);
    const run = await runMeasured(
      ["sync", ...argsFor(`tcp://127.0.0.1:${device.port}`, share.url("us")), "--backfill-hours", "720"],
      { stopAt: { marker: "receiver clock offset measured", signal: "SIGINT" }, limitMs: 60_000 },
    );
    console.log(
      `stop sync, long read, Ctrl-C: ${JSON.stringify({ code: run.code, stopMs: run.stopMs, peakMiB: run.peakMiB })}`,
    );
    expect(run.code).toBe(EXIT.INTERRUPTED);
    expect(run.stopMs).toBeLessThan(STOP_WITHIN_MS);
    expect(run.output).toContain("sync interrupted");
    // 228 pages at 25–50 ms a request: the read was far from done when Ctrl-C came.
    expect(receiver.stats.requestsByCommand[0x11] ?? 0).toBeLessThan(57);
  });
});
