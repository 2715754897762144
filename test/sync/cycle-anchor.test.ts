/**
 * A reading the receiver writes during the cycle, after the cycle's ReadSystemTime and before its page
 * read, lies a second after the clock anchor. It is new, not a sign of a clock set back: it must be
 * posted (now or next cycle), never skipped and settled behind the cursor.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ReadSystemTime } from "../../src/receiver/commands.js";
import type { ReceiverApi } from "../../src/receiver/receiver-api.js";
import type { ReceiverSession } from "../../src/sync/cycle.js";
import { type Bench, bench, expectedReadings } from "./support/harness.js";

let b: Bench | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

/** The session, with host time moved `ms` forward right after each ReadSystemTime answer. */
function clockMovesAfterAnchor(session: ReceiverSession, b: Bench, ms: number): ReceiverSession {
  const receiver: ReceiverApi = new Proxy(session.receiver, {
    get(target, key, receiverArg) {
      const value = Reflect.get(target, key, receiverArg);
      if (key !== "callTimed" || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        if (args[0] === ReadSystemTime) b.now += ms;
        return result;
      };
    },
  });
  return { ...session, receiver };
}

describe("sync cycle and the clock anchor", () => {
  it("a reading written between ReadSystemTime and the page read is posted, not skipped for good", async () => {
    const local = await bench({
      receiver: { profile: "g4", seed: 9, days: 2, live: { intervalSeconds: 300 } },
    });
    b = local;
    await local.cycle();
    const last = local.emulator.model.partitions[4]?.records.at(-1);
    if (last === undefined) throw new Error("no records");
    // Just before the receiver's clock reaches the next reading's time.
    const due = last.systemSeconds + 300;
    while (local.emulator.clock.systemTime < due - 1) local.now += 100;
    expect(local.emulator.clock.systemTime).toBe(due - 1);

    const session = clockMovesAfterAnchor(await local.session(), local, 1000);
    const report = await local.cycle({ session });
    expect(report.newRecords).toBe(1);
    expect(report.skipped["ahead-of-receiver-clock"]).toBe(0);
    expect(report.posted).toBe(1);

    local.now += 300_000;
    await local.cycle();
    // Every reading of the window is on Share, once (one older one has left the window since).
    const stored = local.stored().map((e) => e.stMs);
    const expected = expectedReadings(local, 24).map(([st]) => st);
    expect(stored.slice(-expected.length)).toEqual(expected);
    expect(new Set(stored).size).toBe(stored.length);
  });
});
