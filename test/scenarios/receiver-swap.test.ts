/**
 * A different receiver on the same cable (another serial; issue 5: "a receiver swap … handled and
 * logged"). The Share account monitors the first receiver. Without `share.replaceReceiver` the
 * daemon must not take the account's slot: it says it waits for the operator and posts nothing of
 * the new receiver. With it, it assigns the new serial and posts the new receiver's backfill window.
 * The first receiver's readings are all on Share, once, either way.
 */
import { afterEach, describe, expect, it } from "vitest";
import { USER } from "../sync/support/daemon-bench.js";
import { report } from "./support/accounting.js";
import { HOUR, type Scenario, scenario } from "./support/scenario.js";

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const SWAP_SEED = 77;

async function swapScenario(replaceReceiver: boolean) {
  const s = await scenario({ transport: "tcp", receiver: { seed: 61 } });
  current = s;
  s.bench.config = {
    ...s.bench.config,
    share: { ...s.bench.config.share, replaceReceiver: replaceReceiver ? "always" : "never" },
  };
  const run = await s.start();
  await run.runFor(2 * HOUR);
  await run.runUntil(() => run.caughtUp(), HOUR, "the first receiver caught up");
  const first = s.ledger.capture(s.receiver);
  const firstWindowStart = s.firstPostAtMs() - 24 * HOUR;
  s.receiver.swapReceiver(SWAP_SEED);
  const second = s.receiver.serial;
  const swappedAt = s.bench.now;
  /** The new receiver's window ends at its first accepted post (its first cycle computes it there). */
  const secondWindowStart = () => {
    const post = s.share.requests.find(
      (r) => r.atMs > swappedAt && r.operation === "Publisher/PostReceiverEgvRecords" && r.status === 200,
    );
    return (post?.atMs ?? Number.NaN) - 24 * HOUR;
  };
  return { s, run, first, second, firstWindowStart, secondWindowStart };
}

describe("receiver swap", () => {
  it("replaceReceiver false: waits for the operator, posts nothing of the new serial", async () => {
    const { s, run, first, second, firstWindowStart } = await swapScenario(false);
    expect(second).not.toBe(first);
    await run.runFor(3 * HOUR);
    const snapshot = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: { [first]: firstWindowStart }, postedSerials: [first] });
    const ofSecond = s.share.account(USER).egvs.filter((e) => e.sn === second).length;
    report("receiver swap, replaceReceiver false", counts, {
      postedForNewSerial: ofSecond,
      phase: snapshot.phase,
      shareErrors: snapshot.shareErrors,
    });
    expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 });
    expect(counts.stored).toBe(counts.expected);
    expect(ofSecond).toBe(0);
    expect(s.share.account(USER).assignedSerial).toBe(first);
    // The one assignment is the first receiver's, on the account that monitored none.
    expect(s.count("Publisher/ReplacePublisherAccountMonitoredReceiver")).toBe(1);
    expect(snapshot.serial).toBe(second);
    expect(snapshot.phase).toBe("waiting-for-operator");
    expect(snapshot.waitingFor).toContain("receiver assignment");
    expect(s.logs.some((l) => l.msg === "a different receiver is connected")).toBe(true);
  });

  it("replaceReceiver true: assigns the new serial and posts its window; the first stays complete", async () => {
    const { s, run, first, second, firstWindowStart, secondWindowStart } = await swapScenario(true);
    await run.runFor(3 * HOUR);
    await run.runUntil(() => run.caughtUp(), HOUR, "the new receiver caught up");
    const snapshot = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({
      windowStartMs: { [first]: firstWindowStart, [second]: secondWindowStart() },
    });
    const bySerial = (sn: string) => s.share.account(USER).egvs.filter((e) => e.sn === sn).length;
    report("receiver swap, replaceReceiver true", counts, {
      storedFirst: bySerial(first),
      storedSecond: bySerial(second),
    });
    expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 });
    expect(counts.stored).toBe(counts.expected);
    expect(bySerial(second)).toBeGreaterThanOrEqual(27 * 12 - 12);
    expect(s.share.account(USER).assignedSerial).toBe(second);
    expect(s.count("Publisher/ReplacePublisherAccountMonitoredReceiver")).toBe(2);
    expect(snapshot.phase).toBe("idle");
    expect(snapshot.shareErrors).toEqual({});
  });
});
