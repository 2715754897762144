/**
 * Unplug and replug mid-read (DESIGN.md §3, issue: "the receiver can be unplugged and plugged back,
 * possibly as another /dev node"): the emulator cuts a reply off part-way and drops the link every
 * 15 replies, from the first backfill on and through three live hours (a first cycle on a fresh
 * connection takes up to 10 replies: identity, partition info, clock, page range, pages). Over TCP the peer closes and
 * accepts again at once; over the pty socat goes away with the device and a new pty pair (a new
 * /dev/pts node behind the same link) appears after the replug delay, on real time, while the daemon
 * polls for it. Nothing is lost and nothing is stored twice.
 */
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { report } from "./support/accounting.js";
import { HOUR, type Scenario, scenario, type TransportKind } from "./support/scenario.js";

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe.each<TransportKind>(["tcp", "pty"])("unplug and replug mid-read over %s", (transport) => {
  it("a reply cut off and the device gone every 15 replies: nothing lost, nothing stored twice", {
    // Socat restarts and replugs on real time: bounded, with room for a loaded machine.
    timeout: 60_000,
  }, async () => {
    // On a pty the device is away for the replug delay (200 ms of real time): let daemon time pass
    // with it (3 s of daemon time per real ms) so that the daemon polls for it as it would.
    const realTimeFactor = transport === "pty" ? 3000 : undefined;
    const s = await scenario({ transport, receiver: { seed: 43 }, realTimeFactor });
    current = s;
    const ptyPath = join(s.bench.dir, "ttyDexcom");
    // socat makes the link anew with each pty pair (the /dev/pts number itself may be reused).
    const firstLinkMs = transport === "pty" ? (await lstat(ptyPath)).ctimeMs : undefined;
    s.receiver.setFaults({ unplugEvery: 15 });
    const run = await s.start();
    await run.runFor(3 * HOUR);
    s.receiver.setFaults({});
    await run.runUntil(() => run.caughtUp(), HOUR, "catching up once the unplugging stops");
    const snapshot = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    const unplugs = s.receiver.stats.faults.unplug;
    const connected = s.logs.filter((l) => l.msg === "receiver connected").length;
    report(`unplug and replug mid-read over ${transport}`, counts, {
      unplugs,
      connections: connected,
      linkErrors: snapshot.linkErrors,
      cycles: snapshot.cycles,
    });
    expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 });
    expect(counts.stored).toBe(counts.expected);
    expect(counts.expected).toBeGreaterThanOrEqual(27 * 12 - 12);
    expect(unplugs).toBeGreaterThanOrEqual(5);
    // Every unplug was seen, and the device found again: by the link's own reopen when it was back
    // at once (TCP), else by the daemon's next connection.
    expect(snapshot.linkErrors["disconnects"]).toBeGreaterThanOrEqual(unplugs);
    expect((snapshot.linkErrors["reopens"] ?? 0) + connected - 1).toBeGreaterThanOrEqual(unplugs);
    if (firstLinkMs !== undefined) {
      // The device came back as a new pty pair behind the same path.
      expect((await lstat(ptyPath)).ctimeMs).toBeGreaterThan(firstLinkMs);
      expect(snapshot.cycles["receiver-unavailable"]).toBeGreaterThan(0);
    }
  });
});
