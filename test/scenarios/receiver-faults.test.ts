/**
 * Receiver link faults over TCP (ser2net's way): each fault alone and all together, from the first
 * backfill on and through three hours of live readings. Nothing is lost and nothing is stored twice;
 * the faults really happened and the link saw them. The same over a real pty, and the fault storm,
 * run in the soak (test/soak/receiver-faults.test.ts).
 */
import { afterEach, describe, it } from "vitest";
import { checkFaultCase, FAULT_CASES } from "./support/receiver-faults.js";
import type { Scenario } from "./support/scenario.js";

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});
const track = (s: Scenario) => {
  current = s;
};

describe("receiver faults over tcp", () => {
  it.each(FAULT_CASES)("%s: nothing lost, nothing stored twice", async (...faultCase) => {
    await checkFaultCase(track, "tcp", faultCase);
  });
});
