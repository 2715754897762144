/**
 * Reading and posting stream (DESIGN.md §7): a long backfill posts each batch while later pages are
 * still being read, and a link that drops every few requests still makes progress from cycle to
 * cycle until the whole backfill is on Share, nothing lost and nothing twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ShareSink } from "../../src/sinks/share-sink.js";
import { COMMAND_ID } from "../../src/wire/command-ids.js";
import { type DaemonBench, daemonBench, lossReport } from "./support/daemon-bench.js";
import { type Bench, bench, expectedReadings } from "./support/harness.js";

let b: Bench | undefined;
let d: DaemonBench | undefined;
afterEach(async () => {
  await b?.close();
  await d?.close();
  b = undefined;
  d = undefined;
});

const HOUR = 3_600_000;

describe("streaming sync", () => {
  it("a 30-day backfill posts while later pages are still being read", async () => {
    const current = await bench({ receiver: { profile: "g4", seed: 41, days: 30 }, backfillHours: 720 });
    b = current;
    const pageRequests = () => current.emulator.stats.requestsByCommand[COMMAND_ID.ReadDatabasePages] ?? 0;
    const pagesAtPost: number[] = [];
    const sink = new ShareSink(() => ({
      postBatch: (serial, batch, signal) => {
        pagesAtPost.push(pageRequests());
        return current.client.postBatch(serial, batch, signal);
      },
    }));
    const report = await current.cycle({ sinks: [sink] });
    const expected = expectedReadings(current, 720);
    expect(report.posted).toBe(expected.length);
    expect(current.stored()).toHaveLength(expected.length);
    const total = pageRequests();
    expect(total).toBeGreaterThan(50);
    // Posting starts after the first page requests and is done, batch by batch, while reading goes on.
    expect(pagesAtPost[0]).toBeLessThanOrEqual(3);
    expect(pagesAtPost.filter((n) => n < total).length).toBeGreaterThan(pagesAtPost.length / 2);
  });

  it("a link that drops every 20 requests: the backfill still completes from its cursor, nothing lost, nothing twice", async () => {
    const bench30 = await daemonBench({
      receiver: { profile: "g4", seed: 42, days: 30, faults: { unplugEvery: 20 } },
      backfillHours: 720,
    });
    d = bench30;
    const start = bench30.now;
    const expected = lossReport(bench30, start - 720 * HOUR).expected;
    const { daemon, stop } = await bench30.start();
    await bench30.runWhile(
      () => bench30.share.account("wearer").egvs.length < expected && bench30.now < start + 6 * HOUR,
    );
    await stop();
    const report = lossReport(bench30, start - 720 * HOUR);
    expect(report.missing).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.stored).toBe(report.expected);
    expect(report.expected).toBeGreaterThan(8000);
    // The link lost its device several times and reopened it; the backfill went on from its cursor.
    expect(daemon.snapshot().linkErrors["disconnects"]).toBeGreaterThanOrEqual(3);
  });
});
