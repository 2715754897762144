/** `sharebridge emulate receiver`: the line scripts parse, serving until the signal, usage errors. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { expect, test } from "vitest";
import { runCli } from "../../../src/cli/index.js";
import { hex, sleep, toHex } from "./helpers.js";

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const parts: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => parts.push(chunk));
  return { stream, text: () => Buffer.concat(parts).toString("utf8") };
}

async function until<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error("timed out");
    await sleep(10);
  }
}

function start(args: string[]) {
  const controller = new AbortController();
  const out = capture();
  const err = capture();
  const done = runCli(["emulate", "receiver", ...args, "--log-level", "silent"], {
    stdout: out.stream,
    stderr: err.stream,
    signal: controller.signal,
  });
  return { controller, out, err, done };
}

test("--listen prints `listening tcp://HOST:PORT`, serves, and exits 0 on the signal", async () => {
  const run = start([
    "--listen",
    "127.0.0.1:0",
    "--seed",
    "3",
    "--days",
    "2",
    "--profile",
    "g5",
    "--live",
    "--interval",
    "1",
  ]);
  const port = await until(() => /^listening tcp:\/\/127\.0\.0\.1:(\d+)\n$/.exec(run.out.text())?.[1]);
  const socket = connect(Number(port), "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk) => chunks.push(chunk));
  socket.write(hex("01 06 00 0A 5E 65"));
  await until(() => (Buffer.concat(chunks).length >= 6 ? true : undefined));
  expect(toHex(Uint8Array.from(Buffer.concat(chunks)))).toBe("01 06 00 01 35 D4");
  socket.destroy();
  run.controller.abort();
  expect(await run.done).toBe(0);
});

test("--pty prints `pty PATH` and removes the pty on exit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sharebridge-cli-"));
  try {
    const path = join(dir, "dexcom");
    const run = start(["--pty", path, "--faults", "crc=0.01,split=0.2", "--realistic"]);
    await until(() => (run.out.text() === `pty ${path}\n` ? true : undefined));
    expect(existsSync(path)).toBe(true);
    run.controller.abort();
    expect(await run.done).toBe(0);
    expect(existsSync(path)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.each([
  [[], /--listen HOST:PORT or --pty PATH/],
  [["--listen", "localhost"], /--listen must be HOST:PORT/],
  [["--listen", "127.0.0.1:0", "--profile", "g7"], /--profile must be one of/],
  [["--listen", "127.0.0.1:0", "--faults", "crc=2"], /--faults: .*probability/],
  [["--listen", "127.0.0.1:0", "--seed", "1e3"], /--seed must be a whole number/],
  [["--listen", "127.0.0.1:0", "--days", "400"], /--days must be a number from 0 to 365/],
  [["--listen", "127.0.0.1:0", "--interval", "2"], /--interval needs --live/],
  [["--listen", "127.0.0.1:0", "--serial", "SM/1"], /--serial must be 1 to 32 letters/],
  [["--listen", "127.0.0.1:0", "--policy", "bad-crc=maybe"], /--policy: /],
  [["--listen", "127.0.0.1:0", "--charger-width", "2"], /--charger-width must be 1 or 4/],
])("usage error %j → exit 2 with a message naming it", async (args, message) => {
  const run = start(args as string[]);
  expect(await run.done).toBe(2);
  expect(run.err.text()).toMatch(message);
  expect(run.out.text()).toBe("");
});
