/**
 * Sinks keep their own cursors: an outage of one never holds back another, a sink that failed catches
 * up on its own next cycle, and a version-1 state file (one cursor, Share's) migrates without
 * re-posting anything.
 */
import { writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { SharebridgeError } from "../../src/errors.js";
import type { Reading } from "../../src/readings/reading.js";
import { ShareSink } from "../../src/sinks/share-sink.js";
import type { Sink } from "../../src/sinks/sink.js";
import { SYNC_STATE_SCHEMA } from "../../src/sync/state.js";
import { StateStore } from "../../src/sync/state-store.js";
import { type Bench, bench, expectedReadings } from "./support/harness.js";

let b: Bench | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

/** A sink that keeps every reading it is given and settles each chunk at once; `failAfter` chunks, it throws. */
function recordingSink(name: string, failAfter = Number.POSITIVE_INFINITY) {
  const received: Reading[] = [];
  let chunks = 0;
  const sink: Sink = {
    name,
    open(context) {
      return {
        async write(readings) {
          if (++chunks > failAfter) throw new SharebridgeError("INTERNAL", `${name} is down`);
          received.push(...readings);
          const last = readings.at(-1);
          if (last !== undefined) await context.settle(last, readings);
        },
        async end() {
          return { delivered: received.length, requests: chunks };
        },
      };
    },
  };
  return { sink, received };
}

describe("sinks", () => {
  it("a failing sink holds back neither Share nor the read; it catches up alone the next cycle", async () => {
    b = await bench({ receiver: { profile: "g4", seed: 3, days: 2, live: { intervalSeconds: 300 } } });
    const share = new ShareSink(() => (b as Bench).client);
    const archive = recordingSink("archive", 1);
    const failed = await b.cycle({ sinks: [share, archive.sink] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((failed as SharebridgeError).code).toBe("INTERNAL");
    const expected = expectedReadings(b, 24);
    // Share got the whole window; the archive only its first chunk.
    expect(b.stored().map((e) => [e.stMs, e.value, e.trend])).toEqual(expected);
    const cursors = b.store.current.receivers[b.emulator.serial]?.sinks ?? {};
    const newest = b.emulator.model.partitions[4]?.records.at(-1)?.index;
    expect(cursors["share"]?.cursors.egv?.lastIndex).toBe(newest);
    const archiveCursor = cursors["archive"]?.cursors.egv?.lastIndex;
    expect(archiveCursor).toBe(archive.received.at(-1)?.index);
    expect(archiveCursor).toBeLessThan(newest ?? 0);

    // Next cycle: Share has nothing new; the archive gets everything after its cursor, once.
    const healthy = recordingSink("archive");
    b.share.clearRequests();
    const report = await b.cycle({ sinks: [share, healthy.sink] });
    expect(report.posted).toBe(0);
    expect(b.share.requests.filter((r) => r.operation === "Publisher/PostReceiverEgvRecords")).toHaveLength(
      0,
    );
    expect(healthy.received[0]?.index).toBe((archiveCursor ?? 0) + 1);
    expect(healthy.received.at(-1)?.index).toBe(newest);
    // The read starts at the oldest cursor (the archive's) and Share is given nothing of it.
    expect(healthy.received).toHaveLength(report.newRecords);
    expect(new Set([...archive.received, ...healthy.received].map((r) => r.index)).size).toBe(
      archive.received.length + healthy.received.length,
    );
  });

  it("a version-1 state file: Share's cursor carries over, nothing is posted again", async () => {
    b = await bench({ receiver: { profile: "g4", seed: 6, days: 2, live: { intervalSeconds: 300 } } });
    await b.cycle();
    const v2 = b.store.current;
    const receiver = v2.receivers[b.emulator.serial];
    const cursor = receiver?.sinks?.["share"]?.cursors.egv;
    expect(cursor).toBeDefined();
    // The same progress as version 1 wrote it: one cursor per receiver, a lower-case key (share-api §18.2).
    await writeFile(
      b.store.file,
      JSON.stringify({
        version: 1,
        receivers: {
          [b.emulator.serial.toLowerCase()]: {
            egvCursor: cursor,
            heldOffset: receiver?.heldOffset,
            lastReading: receiver?.lastReading,
            lastPostUtcMs: receiver?.sinks?.["share"]?.lastDeliveredUtcMs,
          },
        },
        accounts: v2.accounts,
      }),
    );
    const reopened = await StateStore.open(b.dir, SYNC_STATE_SCHEMA);
    expect(reopened.current.version).toBe(2);
    expect(reopened.current.receivers[b.emulator.serial]?.sinks?.["share"]?.cursors.egv).toEqual(cursor);
    expect(reopened.current.receivers[b.emulator.serial]?.heldOffset).toEqual(receiver?.heldOffset);

    const stored = b.stored().length;
    b.share.clearRequests();
    b.now += 300_000;
    const report = await b.cycle({ store: reopened });
    expect(report.posted).toBe(1);
    expect(b.stored()).toHaveLength(stored + 1);
    expect(b.share.requests.filter((r) => r.code === "DuplicateEgvPosted")).toHaveLength(0);
  });
});
