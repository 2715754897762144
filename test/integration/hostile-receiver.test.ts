/**
 * The driver against a hostile receiver over real TCP (src/emulator/receiver/hostile.ts, issue 11):
 * for each way a receiver can misbehave, an incremental read ends in bounded time, with a typed
 * error or with what is valid, and never asks for more pages than the record budget can need.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type HostileMode,
  type HostileReceiver,
  startHostileReceiver,
} from "../../src/emulator/receiver/hostile.js";
import type { EgvRecord as ModelEgv } from "../../src/emulator/receiver/index.js";
import { Receiver } from "../../src/receiver/receiver.js";
import { tcpOpener } from "../../src/receiver/transports/tcp.js";
import { isPostableGlucose } from "../../src/records/decoders/egv.js";
import { IncrementalReader, type NewRecords } from "../../src/records/incremental-reader.js";
import type { EgvRecord } from "../../src/records/record-types.js";
import { NOW } from "../emulator/receiver/helpers.js";

const EGV = 4;
const PAGES_COMMAND = 0x11;
/** Records a sync of 24 h can use (its backfill window): ⌈300 / 38⌉ + 1 = 9 pages at most. */
const BUDGET = 300;
const BUDGET_PAGES = 9;

let hostile: HostileReceiver | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  await hostile?.close();
  receiver = undefined;
  hostile = undefined;
});

async function attack(mode: HostileMode, floodBytes?: number) {
  hostile = await startHostileReceiver({
    mode,
    floodBytes,
    emulator: { profile: "g4", seed: 1, days: 3, now: () => NOW },
  });
  receiver = await Receiver.open(tcpOpener("127.0.0.1", hostile.port), { timeoutMs: 300, quietMs: 20 });
  const model = (hostile.emulator.model.partitions[EGV]?.records ?? []) as ModelEgv[];
  return { hostile, reader: new IncrementalReader(receiver), model };
}

/** The read, its outcome and how long it took (ms of real time). */
async function timed(read: Promise<NewRecords<EgvRecord>>) {
  const started = performance.now();
  const outcome = await read.then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  return { ...outcome, elapsedMs: performance.now() - started };
}

/** The model's EGVs of the budget's pages, as the reader returns them (index and glucose). */
function newestPages(model: readonly ModelEgv[]): [number, number][] {
  const newest = model.at(-1)?.index ?? 0;
  const start = (Math.floor(newest / 38) - BUDGET_PAGES + 1) * 38;
  return model.filter((r) => r.index >= start).map((r) => [r.index, r.glucose]);
}

describe("a hostile receiver", () => {
  it("absurd page range 0..0xFFFFFFFE with a cursor: one page asked, a typed error", async () => {
    const { hostile, reader, model } = await attack("absurd-range");
    const cursor = { lastIndex: (model.at(-1)?.index ?? 0) - 30 };
    const { error, elapsedMs } = await timed(reader.readNew(EGV, { cursor, backfillLimit: BUDGET }));
    expect(error).toMatchObject({ code: "RECEIVER_NAK", context: { responseName: "INVALID_PARAM" } });
    expect(hostile.stats.requests[PAGES_COMMAND]).toBe(1);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it("shifted replies (each answers the request before): only what checks out is taken; all of it is valid", async () => {
    const { hostile, reader, model } = await attack("shifted-replies");
    const { result, elapsedMs } = await timed(reader.readNew(EGV, { backfillLimit: BUDGET }));
    // Every stale answer fails its codec's checks (length, page type and number) and is asked again;
    // what is returned is exactly the receiver's data.
    expect(result?.records.map((r) => [r.index, r.glucose])).toEqual(newestPages(model).slice(-BUDGET));
    expect(hostile.stats.requests[PAGES_COMMAND]).toBeLessThanOrEqual(3 * BUDGET_PAGES);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it("malformed multi-page ACKs: falls back to one page per request and reads everything", async () => {
    const { hostile, reader, model } = await attack("malformed-multipage");
    const { result, elapsedMs } = await timed(reader.readNew(EGV, { backfillLimit: BUDGET }));
    expect(result?.records.map((r) => [r.index, r.glucose]).slice(-BUDGET)).toEqual(
      newestPages(model).slice(-BUDGET),
    );
    expect(result?.problems).toEqual([]);
    expect(receiver?.pagesPerRequest).toBe(1);
    // The last page, one refused multi-page read, then the budget's other pages one by one.
    expect(hostile.stats.requests[PAGES_COMMAND]).toBe(1 + 1 + (BUDGET_PAGES - 1));
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it("damaged records (CRC good, values absurd): every record read, none of the damaged ones postable", async () => {
    const { reader, model } = await attack("damaged-records");
    const { result } = await timed(reader.readNew(EGV, { backfillLimit: BUDGET * 2 }));
    const records = result?.records ?? [];
    expect(result?.problems).toEqual([]);
    const damaged = records.filter((r) => r.systemSeconds === 0xfffffff0);
    const intact = records.filter((r) => r.systemSeconds !== 0xfffffff0);
    expect(damaged.length).toBeGreaterThan(100);
    expect(damaged.every((r) => r.glucose === 1023 && r.trend === 15 && !isPostableGlucose(r))).toBe(true);
    const byIndex = new Map(model.map((r) => [r.index, r]));
    expect(intact.every((r) => byIndex.get(r.index)?.glucose === r.glucose)).toBe(true);
    expect(intact.length + damaged.length).toBe(records.length);
  });

  it("a false-start flood before every reply: slower, and everything is read", async () => {
    const { hostile, reader, model } = await attack("false-start-flood", 16_384);
    const { result, elapsedMs } = await timed(reader.readNew(EGV, { backfillLimit: BUDGET }));
    expect(result?.records.map((r) => [r.index, r.glucose])).toEqual(newestPages(model).slice(-BUDGET));
    expect(hostile.stats.bytesOut).toBeGreaterThan(3 * 16_384);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it("a disconnect after every byte: a typed error after one reopen", async () => {
    const { hostile, reader } = await attack("disconnect-every-byte");
    const { error, elapsedMs } = await timed(reader.readNew(EGV, { backfillLimit: BUDGET }));
    expect(["DEVICE_DISCONNECTED", "LINK_FAILED"]).toContain((error as { code: string }).code);
    expect(hostile.stats.connections).toBe(2);
    expect(elapsedMs).toBeLessThan(10_000);
  });
});

describe("a hostile receiver in its own process, and the CLI in another", () => {
  const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");
  const HOSTILE = join(import.meta.dirname, "..", "support", "hostile-receiver.mjs");
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
  });

  function start(args: string[]): Promise<string> {
    const child = spawn(process.execPath, [HOSTILE, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        const match = /^listening (tcp:\S+)/.exec(chunk.toString());
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`hostile receiver exited with ${code}`)));
    });
  }

  function cli(args: string[]): {
    child: ChildProcess;
    exit: Promise<{ code: number | null; atMs: number }>;
  } {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "ignore", "ignore"] });
    children.push(child);
    const exit = new Promise<{ code: number | null; atMs: number }>((resolve) =>
      child.once("exit", (code) => resolve({ code, atMs: performance.now() })),
    );
    return { child, exit };
  }

  it("receiver records against an absurd range ends with exit code 3", async () => {
    const device = await start(["absurd-range", "--days", "3"]);
    const started = performance.now();
    const { exit } = cli(["receiver", "records", "--type", "egv", "--device", device]);
    const { code, atMs } = await exit;
    expect(code).toBe(3);
    expect(atMs - started).toBeLessThan(15_000);
  });

  it("SIGTERM ends receiver records within 2 s while a flood slows every reply", async () => {
    const device = await start(["false-start-flood", "--flood-bytes", "2000000", "--days", "30"]);
    const { child, exit } = cli(["receiver", "records", "--type", "egv", "--device", device]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const signalledAt = performance.now();
    child.kill("SIGTERM");
    const { code, atMs } = await exit;
    expect(code).toBe(130);
    expect(atMs - signalledAt).toBeLessThan(2000);
  });
});
