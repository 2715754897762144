/**
 * Receiver link faults (DESIGN.md §9, §10): the emulator corrupts CRCs, answers NAK, stays silent,
 * writes garbage before replies and splits them, each alone and all together, over TCP and over a
 * real pty, from the first backfill on and through three hours of live readings. Nothing is lost
 * and nothing is stored twice; the faults really happened and the link saw them.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FaultSpec } from "../../src/emulator/receiver/index.js";
import { report } from "./support/accounting.js";
import { HOUR, type Scenario, scenario, type TransportKind } from "./support/scenario.js";

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

type Kind = "crc" | "nak" | "silence" | "garbage" | "split";
const CASES: [string, FaultSpec, Kind[]][] = [
  ["crc", { crc: 0.15 }, ["crc"]],
  ["nak", { nak: 0.15 }, ["nak"]],
  ["silence", { silence: 0.08 }, ["silence"]],
  ["garbage", { garbage: 0.3 }, ["garbage"]],
  ["split", { split: 0.6 }, ["split"]],
  [
    "all together",
    { crc: 0.05, nak: 0.05, silence: 0.03, garbage: 0.1, split: 0.3 },
    ["crc", "nak", "silence", "garbage", "split"],
  ],
];
/** Heavy enough that retries and a reopen run out now and then: the daemon itself reconnects. */
const STORM: FaultSpec = { crc: 0.3, nak: 0.3, silence: 0.03, garbage: 0.3, split: 0.5 };
const TRANSPORTS: TransportKind[] = ["tcp", "pty"];

async function faultScenario(transport: TransportKind, faults: FaultSpec, liveHours: number) {
  const s = await scenario({ transport, receiver: { seed: 41 } });
  current = s;
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

describe.each(TRANSPORTS)("receiver faults over %s", (transport) => {
  it.each(CASES)("%s: nothing lost, nothing stored twice", async (name, faults, kinds) => {
    const { snapshot, counts, injected } = await faultScenario(transport, faults, 3);
    report(`receiver fault ${name} over ${transport}`, counts, {
      injected: Object.fromEntries(kinds.map((k) => [k, injected[k]])),
      linkErrors: snapshot.linkErrors,
      cycles: snapshot.cycles,
    });
    expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 });
    expect(counts.stored).toBe(counts.expected);
    // 24 hours of backfill and three live hours: the whole window reached Share.
    expect(counts.expected).toBeGreaterThanOrEqual(27 * 12 - 12);
    for (const kind of kinds) expect(injected[kind]).toBeGreaterThan(0);
    // What the link saw of it (garbage and split are absorbed by the deframer without a retry).
    if (kinds.includes("crc")) expect(snapshot.linkErrors["badCrc"]).toBeGreaterThan(0);
    if (kinds.includes("nak")) expect(snapshot.linkErrors["naks"]).toBeGreaterThan(0);
    if (kinds.includes("silence")) expect(snapshot.linkErrors["timeouts"]).toBeGreaterThan(0);
  });
});

describe("receiver fault storm over tcp", () => {
  it("all faults at rates that exhaust retries and reopens: the daemon reconnects, nothing lost", {
    timeout: 120_000,
  }, async () => {
    const { snapshot, counts, injected } = await faultScenario("tcp", STORM, 1);
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
