/**
 * Receiver link faults over a real pseudo-terminal (socat, opened through serialport like
 * /dev/ttyACM0), and a fault storm that exhausts the link's retries and reopens so that the daemon
 * itself reconnects. Nothing is lost and nothing is stored twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { report } from "../scenarios/support/accounting.js";
import { checkFaultCase, FAULT_CASES, faultScenario, STORM } from "../scenarios/support/receiver-faults.js";
import type { Scenario } from "../scenarios/support/scenario.js";

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});
const track = (s: Scenario) => {
  current = s;
};

describe("receiver faults over pty", () => {
  it.each(FAULT_CASES)("%s: nothing lost, nothing stored twice", async (...faultCase) => {
    await checkFaultCase(track, "pty", faultCase);
  });
});

describe("receiver fault storm over tcp", () => {
  it("all faults at rates that exhaust retries and reopens: the daemon reconnects, nothing lost", async () => {
    const { snapshot, counts, injected } = await faultScenario(track, "tcp", STORM, 1);
    report("receiver fault storm (all, heavy) over tcp", counts, {
      injected,
      linkErrors: snapshot.linkErrors,
      cycles: snapshot.cycles,
    });
    expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 });
    expect(counts.stored).toBe(counts.expected);
    expect(counts.expected).toBeGreaterThanOrEqual(25 * 12 - 12);
    expect(snapshot.linkErrors["reopens"]).toBeGreaterThan(0);
    expect(snapshot.cycles["receiver-error"]).toBeGreaterThan(0);
  });
});
