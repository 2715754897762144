/**
 * The archive inside the running system (the composition root wires it next to Share): while Share
 * is down for two hours the archive keeps every reading, in order, as it is read; once Share is back,
 * each reading's outcome follows.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readArchive } from "../../src/sinks/archive/archive-reader.js";
import { type DaemonBench, daemonBench } from "../sync/support/daemon-bench.js";

const HOUR = 3_600_000;

let bench: DaemonBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** The receiver's EGV records after `fromIndex`, as [index, stored glucose], in index order. */
function onReceiver(b: DaemonBench, fromIndex: number): [number, number][] {
  return (b.receiver.model.partitions[4]?.records ?? [])
    .filter((r) => r.index >= fromIndex && "glucose" in r)
    .map((r) => [r.index, (r as { glucose: number }).glucose]);
}

describe("archive in the daemon", () => {
  it("Share down for 2 h: the archive still gets every reading, in order, as it is read", async () => {
    const b = await daemonBench();
    bench = b;
    const archiveDir = join(b.config.stateDir, "archive");
    const { daemon, stop } = await b.start();
    // The cycle has ended (every sink delivered to), not just Share's part of it.
    await b.runWhile(() => b.stored().length === 0 || daemon.snapshot().phase !== "idle");
    const first = (await readArchive(archiveDir, { sinceMs: 0 })).readings[0]?.index ?? -1;
    expect(first).toBeGreaterThanOrEqual(0);

    b.share.setOutage(true);
    const outageAt = b.now;
    const storedBefore = b.stored().length;
    await b.runWhile(() => b.now < outageAt + 2 * HOUR);
    const snapshot = daemon.snapshot();
    expect(snapshot.phase).toBe("waiting-for-share");
    expect(b.stored()).toHaveLength(storedBefore);
    // Before Share is back: everything read so far is archived, including the outage's readings.
    const during = await readArchive(archiveDir, { sinceMs: 0 });
    const newest = snapshot.lastReading?.index ?? 0;
    expect(during.readings.map((r) => [r.index, r.storedGlucose])).toEqual(
      onReceiver(b, first).filter(([i]) => i <= newest),
    );
    expect(newest).toBeGreaterThan(first + 288 + 20);
    const waiting = during.readings.filter((r) => (r.utcMs ?? 0) > outageAt);
    expect(waiting.length).toBeGreaterThanOrEqual(22);
    expect(waiting.every((r) => r.outcome === undefined || r.outcome === "skipped")).toBe(true);

    b.share.setOutage(false);
    await b.runWhile(() => b.now < outageAt + 3 * HOUR);
    await stop();
    const after = await readArchive(archiveDir, { sinceMs: 0 });
    expect(after.badLines).toBe(0);
    const lastIndex = after.readings.at(-1)?.index ?? 0;
    expect(after.readings.map((r) => [r.index, r.storedGlucose])).toEqual(
      onReceiver(b, first).filter(([i]) => i <= lastIndex),
    );
    // Every postable reading is on Share now and the archive says so; the others say why not.
    const postable = after.readings.filter((r) => r.skip === undefined);
    expect(postable.map((r) => r.outcome)).toEqual(postable.map(() => "stored"));
    expect(postable).toHaveLength(b.stored().length);
    expect(after.readings.filter((r) => r.skip !== undefined).every((r) => r.outcome === "skipped")).toBe(
      true,
    );
  });
});
