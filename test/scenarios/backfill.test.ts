/**
 * A signal loss on a touchscreen receiver, end to end (issue 11, receiver-protocol §4.2, §10.4): the
 * daemon over TCP against the touchscreen profile in live mode, whose transmitter signal drops for
 * 10–40 minutes now and then. The receiver leaves those slots out of EGV_DATA and writes them to
 * BACKFILLED_EGV_DATA when the signal returns; the daemon reads both partitions, each from its own
 * cursor, and the gap closes on Share: nothing lost, nothing stored twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { EgvRecord } from "../../src/emulator/receiver/index.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { readingSystemSeconds } from "../../src/time/share-times.js";
import { USER } from "../sync/support/daemon-bench.js";
import { report } from "./support/accounting.js";
import { HOUR, type Scenario, scenario } from "./support/scenario.js";

const BACKFILL = 18;

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe("a signal loss on a touchscreen receiver", () => {
  it("the daemon closes the gap on Share from type 18: nothing lost, nothing stored twice", async () => {
    const s = await scenario({
      transport: "tcp",
      receiver: { profile: "touchscreen", seed: 10, days: 1, live: { intervalSeconds: 300 } },
    });
    current = s;
    const backfilled = () => (s.receiver.model.partitions[BACKFILL]?.records ?? []) as EgvRecord[];
    const initial = backfilled().length;
    const run = await s.start();
    await run.runUntil(() => backfilled().length > initial, 72 * HOUR, "a signal loss backfilled");
    await run.runUntil(() => run.caughtUp(), HOUR, "the cycle after the signal returned");
    const snapshot = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    const filled = backfilled().slice(initial);
    const offset = run.store.current.receivers[s.receiver.serial]?.heldOffset?.offsetSeconds ?? Number.NaN;
    const onShare = new Set(s.share.account(USER).egvs.map((e) => e.stMs));
    const gapOnShare = filled.filter((r) =>
      onShare.has(RECEIVER_EPOCH_MS + (readingSystemSeconds(r) + offset) * 1000),
    );
    report("a signal loss on a touchscreen receiver", counts, {
      backfilledSinceStart: filled.length,
      gapReadingsOnShare: gapOnShare.length,
      cycles: snapshot.cycles,
    });
    expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 });
    expect(counts.stored).toBe(counts.expected);
    expect(filled.length).toBeGreaterThanOrEqual(2);
    expect(gapOnShare).toEqual(filled);
    const cursors = run.store.current.receivers[s.receiver.serial]?.sinks?.["share"]?.cursors;
    expect(cursors?.backfill?.lastIndex).toBe(backfilled().at(-1)?.index);
  });
});
