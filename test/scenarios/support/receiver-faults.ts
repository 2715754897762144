/**
 * The receiver fault scenarios (DESIGN.md §9, §10), shared by the default suite (over TCP) and the
 * soak (over a real pty, and the storm): the emulator corrupts CRCs, answers NAK, stays silent,
 * writes garbage before replies and splits them, each alone and all together, from the first
 * backfill on and through hours of live readings.
 */
import { expect } from "vitest";
import type { FaultSpec } from "../../../src/emulator/receiver/index.js";
import { report } from "./accounting.js";
import { HOUR, type Scenario, scenario, type TransportKind } from "./scenario.js";

type Kind = "crc" | "nak" | "silence" | "garbage" | "split";
/** The link counters that must have moved: garbage and split are absorbed by the deframer without a retry. */
type LinkCounter = "badCrc" | "naks" | "timeouts";

/** [name, faults, kinds injected, link counters that must have moved]. */
export const FAULT_CASES: [string, FaultSpec, Kind[], LinkCounter[]][] = [
  ["crc", { crc: 0.15 }, ["crc"], ["badCrc"]],
  ["nak", { nak: 0.15 }, ["nak"], ["naks"]],
  ["silence", { silence: 0.08 }, ["silence"], ["timeouts"]],
  ["garbage", { garbage: 0.3 }, ["garbage"], []],
  ["split", { split: 0.6 }, ["split"], []],
  [
    "all together",
    { crc: 0.05, nak: 0.05, silence: 0.03, garbage: 0.1, split: 0.3 },
    ["crc", "nak", "silence", "garbage", "split"],
    ["badCrc", "naks", "timeouts"],
  ],
];
/** Heavy enough that retries and a reopen run out now and then: the daemon itself reconnects. */
export const STORM: FaultSpec = { crc: 0.3, nak: 0.3, silence: 0.03, garbage: 0.3, split: 0.5 };

export async function faultScenario(
  track: (s: Scenario) => void,
  transport: TransportKind,
  faults: FaultSpec,
  liveHours: number,
) {
  const s = await scenario({ transport, receiver: { seed: 41 } });
  track(s);
  s.receiver.setFaults(faults);
  const run = await s.start();
  await run.runFor(liveHours * HOUR);
  s.receiver.setFaults({});
  await run.runUntil(() => run.caughtUp(), HOUR, "catching up once the faults stop");
  const snapshot = run.daemon.snapshot();
  await run.stop();
  const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
  return { s, snapshot, counts, injected: s.receiver.stats.faults };
}

/** One fault case: nothing lost, nothing twice, the faults happened and the link saw those it should. */
export async function checkFaultCase(
  track: (s: Scenario) => void,
  transport: TransportKind,
  [name, faults, kinds, counters]: (typeof FAULT_CASES)[number],
): Promise<void> {
  const { snapshot, counts, injected } = await faultScenario(track, transport, faults, 3);
  report(`receiver fault ${name} over ${transport}`, counts, {
    injected: Object.fromEntries(kinds.map((k) => [k, injected[k]])),
    linkErrors: snapshot.linkErrors,
    cycles: snapshot.cycles,
  });
  expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 });
  expect(counts.stored).toBe(counts.expected);
  // 24 hours of backfill and three live hours: the whole window reached Share.
  expect(counts.expected).toBeGreaterThanOrEqual(27 * 12 - 12);
  expect(kinds.filter((kind) => injected[kind] > 0)).toEqual(kinds);
  const moved = (["badCrc", "naks", "timeouts"] as const).filter(
    (key) => (snapshot.linkErrors[key] ?? 0) > 0,
  );
  expect(moved).toEqual(counters);
}
