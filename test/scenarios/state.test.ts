/**
 * The state file going wrong (DESIGN.md §7; issue 5): garbage in state.json between two runs, and a
 * full disk while the daemon runs. The receiver is served over TCP, Share over loopback HTTP.
 *
 * A corrupt file is kept aside and the daemon starts from a safe default: no cursor (it backfills
 * the window again; Share answers DuplicateEgvPosted for what it has) and no held clock offset. The
 * offset is then measured afresh, and a measurement can round to the other whole second (the
 * receiver's clock counts whole seconds; ST must be a whole second): the window would then go to
 * Share a second time, one second off. Both phases of the receiver's second are played.
 *
 * A full disk: every write of the state file fails with ENOSPC (its temp file is /dev/full) for two hours, then half of them at random for two more. No progress is ever claimed
 * that is not on disk, the daemon keeps running and says why, and once space is back it catches up.
 */
import { open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Prng } from "../../src/emulator/receiver/prng.js";
import { openTemporaryExclusive } from "../../src/sync/state-store.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { heldOffsets, report } from "./support/accounting.js";
import { HOUR, type Scenario, scenario } from "./support/scenario.js";

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const CLEAN = { lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 };

/** What a fresh ReadSystemTime measurement rounds to at the bench's current instant (no round trip). */
function measuredOffset(s: Scenario): number {
  return Math.round((s.bench.now - RECEIVER_EPOCH_MS) / 1000 - s.receiver.clock.systemTime);
}

/** Moves daemon time forward (less than a second) to where a fresh measurement gives `wanted` or not. */
function moveToPhase(s: Scenario, held: number, same: boolean): number {
  const start = s.bench.now;
  for (let delta = 0; delta < 1000; delta += 10) {
    s.bench.now = start + delta;
    if ((measuredOffset(s) === held) === same) return delta;
  }
  throw new Error("no such phase within a second");
}

describe("corrupt state file", () => {
  it.each([
    ["the same", true],
    ["the other", false],
  ])(
    "garbage in state.json, restarted on %s phase of the receiver's second: kept aside, no loss, nothing twice",
    async (phase, same) => {
      const s = await scenario({ transport: "tcp", receiver: { seed: 71 } });
      current = s;
      const stateFile = join(s.bench.config.stateDir, "state.json");
      const first = await s.start();
      await first.runFor(2 * HOUR);
      await first.runUntil(() => first.caughtUp(), HOUR, "the first run caught up");
      await first.stop();
      const held = (await heldOffsets(stateFile)).get(s.receiver.serial.toUpperCase());
      if (held === undefined) throw new Error("no held offset after the first run");
      const postsBefore = s.share.count("Publisher/PostReceiverEgvRecords");

      const random = new Prng(same ? 710 : 711);
      const garbage = Buffer.from(Array.from({ length: 300 }, () => random.int(0, 255)));
      await writeFile(stateFile, garbage);
      moveToPhase(s, held, same);
      const fresh = measuredOffset(s);
      const second = await s.start();
      await second.runFor(HOUR);
      await second.runUntil(() => second.caughtUp(), HOUR, "the second run caught up");
      await second.stop();

      const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
      const aside = (await readdir(s.bench.config.stateDir)).filter((n) =>
        n.startsWith("state.json.corrupt-"),
      );
      const heldAfter = (await heldOffsets(stateFile)).get(s.receiver.serial.toUpperCase());
      report(`corrupt state file, restart on ${phase} phase`, counts, {
        heldOffsetBefore: held,
        freshMeasurementAtRestart: fresh,
        heldOffsetAfter: heldAfter,
        postsAfterRestart: s.share.count("Publisher/PostReceiverEgvRecords") - postsBefore,
      });
      expect(aside).toHaveLength(1);
      expect(await readFile(join(s.bench.config.stateDir, aside[0] ?? ""))).toEqual(garbage);
      expect(s.logs.some((l) => l.msg.startsWith("state file unusable"))).toBe(true);
      expect(counts).toMatchObject(CLEAN);
      expect(counts.stored).toBe(counts.expected);
      // The window went out again and Share recognised it: same ST, so DuplicateEgvPosted.
      expect(counts.duplicatePostAttempts).toBeGreaterThanOrEqual(5);
      // The restart measured the offset afresh (one second off on the other phase) and kept Share's.
      expect(fresh === held).toBe(same);
      expect(heldAfter).toBe(held);
      const kept = s.logs.filter((l) => l.msg.startsWith("Share already holds this receiver's readings"));
      expect(kept).toHaveLength(same ? 0 : 1);
    },
  );
});

/**
 * Makes every state write (while `full()`) meet a disk with no space left, the way the store sees
 * it: its temp file is the kernel's /dev/full, which answers every write with ENOSPC.
 */
function fillDisk(s: Scenario, full: () => boolean): { failed: number } {
  const counter = { failed: 0 };
  s.bench.openTemporary = async (path) => {
    if (!full()) return openTemporaryExclusive(path);
    counter.failed++;
    return open("/dev/full", "w");
  };
  return counter;
}

describe("full disk", () => {
  it("state writes fail with ENOSPC for 4 hours: no progress claimed, the daemon says why, then catches up", async () => {
    const s = await scenario({ transport: "tcp", receiver: { seed: 72 } });
    current = s;
    const run = await s.start();
    await run.runUntil(() => run.caughtUp(), HOUR, "the first backfill");
    await run.store.update((state) => state); // let a write still queued land first
    const onDiskBefore = await readFile(run.store.file, "utf8");
    const cursorBefore =
      run.store.current.receivers[s.receiver.serial.toUpperCase()]?.sinks?.["share"]?.cursors.egv;

    let mode: "full" | "flaky" | "free" = "full";
    const random = new Prng(720);
    const disk = fillDisk(s, () => mode === "full" || (mode === "flaky" && random.next() < 0.5));
    await run.runFor(2 * HOUR);
    const whileFull = run.daemon.snapshot();
    const onDiskWhileFull = await readFile(run.store.file, "utf8");
    const cursorWhileFull =
      run.store.current.receivers[s.receiver.serial.toUpperCase()]?.sinks?.["share"]?.cursors.egv;
    const failedWhileFull = disk.failed;

    mode = "flaky";
    await run.runFor(2 * HOUR);
    mode = "free";
    await run.runUntil(() => run.caughtUp(), HOUR, "catching up once space is back");
    const after = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    report("full disk (ENOSPC) for 2 h, then every other write for 2 h", counts, {
      failedWrites: disk.failed,
      failedWhileFull,
      stateErrorCycles: after.cycles["state-error"],
      phaseWhileFull: whileFull.phase,
    });
    // Nothing claimed while nothing could be written: the file and the cursor in force are as before.
    expect(onDiskWhileFull).toBe(onDiskBefore);
    expect(cursorWhileFull).toEqual(cursorBefore);
    expect(failedWhileFull).toBeGreaterThanOrEqual(24);
    expect(whileFull.phase).toBe("waiting-for-operator");
    expect(whileFull.waitingFor).toContain("space or permission to save state");
    expect(whileFull.waitingFor).toContain("ENOSPC");
    expect(whileFull.backlog).toBeGreaterThanOrEqual(23);
    expect(after.phase).toBe("idle");
    expect(counts).toMatchObject(CLEAN);
    expect(counts.stored).toBe(counts.expected);
  });
});
