/**
 * The archive sink over real files: its lines, a crash (SIGKILL of a real process) in the middle of
 * writing, a power cut's torn line, the retention bound, and trouble that never reaches the engine.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test as propertyTest } from "@fast-check/vitest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import type { Reading } from "../../src/readings/reading.js";
import { dayOf, listDayFiles } from "../../src/sinks/archive/archive-files.js";
import { decodeLine, encodeLine, outcomeLine, readingLine } from "../../src/sinks/archive/archive-lines.js";
import { readArchive } from "../../src/sinks/archive/archive-reader.js";
import { ArchiveSink } from "../../src/sinks/archive/archive-sink.js";
import type { SinkContext } from "../../src/sinks/sink.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";
import { sinkContext } from "./support/sink-context.js";

const SERIAL = "SM12345678";
const MINUTE = 60_000;
const DAY = 86_400_000;
const CHILD = join(import.meta.dirname, "support", "archive-child.mjs");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-archive-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reading i of a receiver: one every 5 minutes from `startMs`. */
function reading(i: number, startMs: number, change: Partial<Reading> = {}): Reading {
  const wtMs = startMs + i * 5 * MINUTE;
  return {
    recordType: 4,
    index: i,
    systemSeconds: 500_000_000 + i * 300,
    storedGlucose: 100 + (i % 50),
    glucose: 100 + (i % 50),
    trend: 4,
    times: { stMs: wtMs, dtMs: wtMs + 3_600_000, ta: 0, wtMs },
    skip: undefined,
    ...change,
  };
}

/** A sink context with the cursor kept in memory. */
function context(now: () => number, settled: number[] = []): SinkContext {
  return sinkContext({ now, settled });
}

function sink(retentionDays = 90): ArchiveSink {
  return new ArchiveSink({ dir: join(dir, "archive"), retentionDays, log: silentLogger });
}

async function archiveLines(): Promise<string[]> {
  const out: string[] = [];
  for (const file of await listDayFiles(join(dir, "archive"))) {
    out.push(...(await readFile(file.path, "utf8")).split("\n").filter((l) => l !== ""));
  }
  return out;
}

async function waitFor(predicate: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function runChild(total: number, chunk: number): ReturnType<typeof spawn> {
  return spawn(process.execPath, [CHILD, dir, String(total), String(chunk), String(TEST_EPOCH_MS)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("archive lines", () => {
  it("a reading and its outcome, as documented, and back", () => {
    const r = reading(4711, Date.UTC(2026, 2, 10, 14, 31, 0));
    const line = encodeLine(readingLine("sm12345678", r));
    expect(line).toBe(
      '{"t":"reading","sn":"SM12345678","rt":4,"i":4711,"sys":501413300,"wt":"2026-03-26T23:06:00Z","dt":"2026-03-27T00:06:00","g":111,"mgdl":111,"trend":4}\n',
    );
    expect(decodeLine(line.trimEnd())).toEqual(readingLine(SERIAL, r));
    const skipped = readingLine(SERIAL, { ...r, glucose: undefined, storedGlucose: 5, skip: "special" });
    expect(encodeLine(skipped)).toContain('"g":5,"mgdl":null,"trend":4,"skip":"special"}');
    expect(decodeLine(encodeLine(skipped).trimEnd())).toEqual(skipped);
    const outcome = encodeLine(
      outcomeLine(SERIAL, r, "quarantined", Date.UTC(2026, 2, 10, 14, 31, 2, 250), "Invalid\nArg"),
    );
    expect(outcome).toBe(
      '{"t":"outcome","sn":"SM12345678","rt":4,"i":4711,"sys":501413300,"outcome":"quarantined","fault":"Invalid?Arg","at":"2026-03-10T14:31:02.250Z"}\n',
    );
    expect(decodeLine(outcome.trimEnd())).toMatchObject({ outcome: "quarantined", fault: "Invalid?Arg" });
  });

  it("a torn line, a foreign line or an overlong one is no line", () => {
    const whole = encodeLine(readingLine(SERIAL, reading(1, TEST_EPOCH_MS))).trimEnd();
    for (let cut = 0; cut < whole.length; cut++) expect(decodeLine(whole.slice(0, cut))).toBeUndefined();
    expect(decodeLine('{"t":"reading"}')).toBeUndefined();
    expect(decodeLine(whole.replace('"g":101', '"g":1e400'))).toBeUndefined();
    expect(decodeLine(whole.replace("SM12345678", "sm 1"))).toBeUndefined();
    expect(decodeLine(`${whole.slice(0, -1)},"pad":"${"x".repeat(1100)}"}`)).toBeUndefined();
  });

  propertyTest.prop([fc.string({ maxLength: 300 })])("decoding never throws", (text) => {
    expect(() => decodeLine(text)).not.toThrow();
  });
});

describe("archive sink", () => {
  it("SIGKILL while writing, 8 times: nothing written is lost, no reading twice, all in order", async () => {
    const total = 6000;
    const snapshots: string[] = [];
    for (let kill = 0; kill < 8; kill++) {
      const child = runChild(total, 7);
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once("exit", (_c, s) => resolve(s)),
      );
      // Kill it while it writes: once the archive has grown since the last kill, after 0–21 ms more.
      const before = (await archiveLines()).length;
      await waitFor(async () => (await archiveLines()).length > before + 20, "the archive to grow", 10_000);
      await new Promise((resolve) => setTimeout(resolve, kill * 3));
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
      snapshots.push((await archiveLines()).join("\n"));
    }
    const child = runChild(total, 7);
    let out = "";
    child.stdout?.on("data", (text: Buffer) => {
      out += text.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(out).toBe("done\n");
    expect(code).toBe(0);

    const lines = await archiveLines();
    const final = lines.join("\n");
    // Every kill left a prefix of what the archive finally holds: nothing already written was lost.
    for (const snapshot of snapshots) expect(final.startsWith(snapshot)).toBe(true);
    expect(snapshots.at(-1)?.length).toBeGreaterThan(snapshots[0]?.length ?? 0);
    const readingIndexes = lines
      .map((l) => decodeLine(l))
      .filter((l) => l?.t === "reading")
      .map((l) => l?.i);
    expect(readingIndexes).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(lines.every((l) => decodeLine(l) !== undefined)).toBe(true);
    const read = await readArchive(join(dir, "archive"), { sinceMs: 0 });
    expect(read.readings.map((r) => r.index)).toEqual(readingIndexes);
    expect(read.badLines).toBe(0);
  }, 60_000);

  it("a torn last line (a power cut) is closed, skipped, and its reading written again once", async () => {
    const now = () => TEST_EPOCH_MS;
    const first = sink();
    const writer = first.open(context(now));
    await writer.write([0, 1, 2].map((i) => reading(i, TEST_EPOCH_MS - DAY)));
    await first.close(TEST_EPOCH_MS);
    const [file] = await listDayFiles(join(dir, "archive"));
    const size = (await stat(file?.path ?? "")).size;
    await truncate(file?.path ?? "", size - 40); // reading 2's line, cut in the middle

    // A new process: the engine hands over reading 2 again (its cursor never moved past it).
    const second = sink();
    await second.open(context(now)).write([2, 3].map((i) => reading(i, TEST_EPOCH_MS - DAY)));
    const lines = (await readFile(file?.path ?? "", "utf8")).split("\n");
    expect(lines).toHaveLength(6); // 0, 1, torn 2, 2, 3, and the final newline's empty rest
    expect(lines.map((l) => decodeLine(l)?.i)).toEqual([0, 1, undefined, 2, 3, undefined]);
    const read = await readArchive(join(dir, "archive"), { sinceMs: 0 });
    expect(read.readings.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(read.badLines).toBe(1);
  });

  it("readings written but not settled (a crash between the two) are not written again by the next process", async () => {
    const now = () => TEST_EPOCH_MS;
    const first = sink();
    const dying = sinkContext({
      now,
      settle: async () => {
        throw new Error("the process died before its cursor was saved");
      },
    });
    await first.open(dying).write([0, 1, 2].map((i) => reading(i, TEST_EPOCH_MS - DAY)));
    expect(first.problem()?.message).toMatch(/^cannot write the archive/);
    const settled: number[] = [];
    // The next process gets 0…4 (its cursor never moved) and writes 3 and 4 only.
    await sink()
      .open(context(now, settled))
      .write([0, 1, 2, 3, 4].map((i) => reading(i, TEST_EPOCH_MS - DAY)));
    expect(settled).toEqual([4]);
    expect((await archiveLines()).map((l) => decodeLine(l)?.i)).toEqual([0, 1, 2, 3, 4]);
  });

  it("keeps 90 days: older day files go, nothing older is read back; figures: bytes per reading", async () => {
    let now = TEST_EPOCH_MS;
    const archive = sink(90);
    const start = now;
    let index = 0;
    for (let day = 0; day < 100; day++) {
      const settled: number[] = [];
      const writer = archive.open(context(() => now, settled));
      const readings: Reading[] = [];
      for (let k = 0; k < 288; k++) readings.push(reading(index++, start - DAY));
      await writer.write(readings);
      for (const r of readings)
        archive.noteOutcome({ serial: SERIAL, reading: r, outcome: "stored", atMs: now });
      await archive.flush(now);
      expect(settled).toEqual([index - 1]);
      now += DAY;
    }
    now -= DAY;
    await archive.open(context(() => now)).end(); // the last day's prune
    await new Promise((resolve) => setTimeout(resolve, 50));
    const files = await listDayFiles(join(dir, "archive"));
    expect(files[0]?.day).toBe(dayOf(now - 90 * DAY));
    expect(files).toHaveLength(91);
    const read = await readArchive(join(dir, "archive"), { sinceMs: now - 90 * DAY });
    expect(read.readings.every((r) => (r.utcMs ?? 0) >= now - 90 * DAY)).toBe(true);
    expect(read.readings).toHaveLength(90 * 288);
    expect(read.readings.every((r) => r.outcome === "stored")).toBe(true);
    const all = await readArchive(join(dir, "archive"), { sinceMs: 0 });
    expect(Math.min(...all.readings.map((r) => r.utcMs ?? 0))).toBeGreaterThanOrEqual(now - 91 * DAY);
    let bytes = 0;
    for (const file of files) bytes += (await stat(file.path)).size;
    const perReading = bytes / (files.length * 288);
    // About 150 bytes for the reading's line and 110 for its outcome's (figures for the README).
    expect(perReading).toBeGreaterThan(200);
    expect(perReading).toBeLessThan(300);
    process.stdout.write(`archive: ${perReading.toFixed(0)} bytes per reading with its outcome line\n`);
  }, 60_000);

  it("outcomes only queue; a disk that refuses writes never reaches the engine, and is caught up on", async () => {
    const now = () => TEST_EPOCH_MS;
    const archive = sink();
    // Today's day file cannot be written (a directory in its place: EISDIR, for root too).
    const today = join(dir, "archive", `${dayOf(TEST_EPOCH_MS)}.jsonl`);
    await mkdir(today, { recursive: true });
    const settled: number[] = [];
    const writer = archive.open(context(now, settled));
    const readings = [0, 1, 2].map((i) => reading(i, TEST_EPOCH_MS - DAY));
    // The listener returns at once, whatever the disk does.
    for (const r of readings) {
      expect(archive.noteOutcome({ serial: SERIAL, reading: r, outcome: "held", atMs: TEST_EPOCH_MS })).toBe(
        undefined,
      );
    }
    await expect(writer.write(readings)).resolves.toBe(undefined);
    await expect(writer.end()).resolves.toEqual({ delivered: 0, requests: 0 });
    expect(settled).toEqual([]);
    expect(archive.problem()).toEqual({
      message: `cannot write the archive in ${join(dir, "archive")} (EISDIR)`,
      sinceMs: TEST_EPOCH_MS,
    });
    await archive.flush(TEST_EPOCH_MS);
    await rm(today, { recursive: true });
    // The next cycle gets the same readings again (the cursor stayed) and writes them, once.
    await archive.open(context(now, settled)).write(readings);
    expect(settled).toEqual([2]);
    await archive.flush(TEST_EPOCH_MS);
    expect(archive.problem()).toBe(undefined);
    const read = await readArchive(join(dir, "archive"), { sinceMs: 0 });
    expect(read.readings.map((r) => [r.index, r.outcome])).toEqual([
      [0, "held"],
      [1, "held"],
      [2, "held"],
    ]);
    expect(await readdir(join(dir, "archive"))).toEqual([`${dayOf(TEST_EPOCH_MS)}.jsonl`]);
    expect(await archiveLines()).toHaveLength(6);
  });
});
