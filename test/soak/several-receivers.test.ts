/**
 * Several receivers on one host (issue 14): three receiver emulators behind pty links in one folder
 * (as /dev/ttyACM0–2), three Share accounts, and three `sharebridge run` processes, each configured
 * with the pattern `ttyACM?` and its child's receiver.serial. Then the three links are made again
 * in another order, as a USB re-enumeration would renumber the ttys: each daemon loses its
 * receiver, searches, and finds it behind its new link.
 *
 * Every account holds all of its own receiver's readings (a whole day: the backfill window covers
 * the emulators' history), none twice, and nothing of another receiver. Real processes on real
 * time: the receivers store a new reading every 3 s, and the daemons run at that cadence (so this
 * lives with the soak: twenty seconds of three real daemons on real time, not the fake-time scenarios).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createReceiverEmulator,
  type PtyHandle,
  type ReceiverEmulator,
} from "../../src/emulator/receiver/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { heldOffsets, Ledger, report, tally } from "../scenarios/support/accounting.js";
import { type ChildDaemon, spawnDaemon, waitFor } from "../scenarios/support/child-daemon.js";

const CHILDREN = [
  { account: "ada", password: "ada-pw-1!", seed: 201 },
  { account: "ben", password: "ben-pw-2!", seed: 202 },
  { account: "cleo", password: "cleo-pw-3!", seed: 203 },
] as const;
const INTERVAL_SECONDS = 3;
/** Real time allowed for each phase on a loaded machine. */
const PHASE_MS = 45_000;

interface Running {
  dir: string;
  share: ShareEmulator;
  emulators: ReceiverEmulator[];
  ptys: PtyHandle[];
  daemons: ChildDaemon[];
}

let current: Running | undefined;

afterEach(async () => {
  const running = current;
  current = undefined;
  if (running === undefined) return;
  for (const daemon of running.daemons) {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill("SIGKILL");
    await daemon.exited;
  }
  for (const pty of running.ptys) await pty.close().catch(() => undefined);
  for (const emulator of running.emulators) await emulator.close();
  await running.share.close();
  await rm(running.dir, { recursive: true, force: true });
});

/** The newest ST Share holds for `serial` on `account`, ms (−∞ when none). */
function newestOnShare(share: ShareEmulator, account: string, serial: string): number {
  return share
    .account(account)
    .egvs.filter((e) => e.sn === serial)
    .reduce((max, e) => Math.max(max, e.stMs), Number.NEGATIVE_INFINITY);
}

describe("three receivers, three accounts, three daemons on one host", () => {
  it("after the ttys are renumbered, every account still has exactly its own receiver's readings", {
    timeout: 4 * PHASE_MS,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "sharebridge-several-"));
    const share = await startShareEmulator({
      accounts: CHILDREN.map((c) => ({ name: c.account, password: c.password, region: "us" as const })),
    });
    const running: Running = { dir, share, emulators: [], ptys: [], daemons: [] };
    current = running;
    running.emulators = CHILDREN.map((c) =>
      createReceiverEmulator({
        profile: "g4",
        seed: c.seed,
        days: 1,
        live: { intervalSeconds: INTERVAL_SECONDS },
      }),
    );
    const serials = running.emulators.map((e) => e.serial);
    expect(new Set(serials).size).toBe(3);
    const link = (n: number) => join(dir, `ttyACM${n}`);
    for (const [n, emulator] of running.emulators.entries())
      running.ptys.push(await emulator.servePty(link(n)));

    for (const [n, child] of CHILDREN.entries()) {
      const passwordFile = join(dir, `${child.account}.password`);
      await writeFile(passwordFile, `${child.password}\n`, { mode: 0o600 });
      const config = join(dir, `${child.account}.json`);
      await writeFile(
        config,
        JSON.stringify({
          device: join(dir, "ttyACM?"),
          receiver: { serial: serials[n] },
          stateDir: join(dir, `state-${child.account}`),
          readingIntervalSeconds: INTERVAL_SECONDS,
          backfillHours: 48,
          clock: { assumeSynchronized: true },
          share: { server: share.url("us"), username: child.account, passwordFile },
        }),
      );
      running.daemons.push(spawnDaemon(["run", "--config", config]));
    }

    const describeDaemons = () =>
      running.daemons
        .map((d, n) => `${CHILDREN[n]?.account}: ${d.lines.at(-1)?.msg ?? "(no log)"} ${d.stderr()}`)
        .join(" | ");
    const liveAfter = async (sinceMs: number, what: string) => {
      for (const [n, child] of CHILDREN.entries()) {
        await waitFor(
          () => newestOnShare(share, child.account, serials[n] as string) > sinceMs,
          `${what} on ${child.account}'s account (${describeDaemons()})`,
          PHASE_MS,
          100,
        );
      }
    };
    await liveAfter(Date.now() + 2000, "a live reading");

    // Renumbering: every link goes away, then each receiver comes back behind another one.
    for (const pty of running.ptys.splice(0)) await pty.close();
    // Unplugged for two readings: those are stored while no daemon can reach them.
    const unpluggedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_SECONDS * 1000));
    const moved = [2, 0, 1];
    for (const [n, emulator] of running.emulators.entries()) {
      running.ptys.push(await emulator.servePty(link(moved[n] as number)));
    }
    await liveAfter(Date.now() + 2 * INTERVAL_SECONDS * 1000, "live readings after the renumbering");

    for (const daemon of running.daemons) daemon.child.kill("SIGTERM");
    for (const daemon of running.daemons) expect((await daemon.exited).code).toBe(0);

    for (const [n, child] of CHILDREN.entries()) {
      const ledger = new Ledger();
      ledger.capture(running.emulators[n] as ReceiverEmulator);
      const offsets = await heldOffsets(join(dir, `state-${child.account}`, "state.json"));
      const counts = tally(ledger, share, child.account, offsets, {
        windowStartMs: Number.NEGATIVE_INFINITY,
      });
      const connections = (running.daemons[n] as ChildDaemon).lines
        .filter((l) => l.msg === "found the receiver")
        .map((l) => l["device"]);
      report(`several receivers: ${child.account}`, counts, {
        connections,
        unpluggedAt: new Date(unpluggedAt).toISOString(),
        ...(counts.lost > 0 ? { log: (running.daemons[n] as ChildDaemon).lines.slice(-40) } : {}),
      });
      const account = share.account(child.account);
      expect(counts).toMatchObject({ lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0 });
      // The whole day of history and the live readings, not a few.
      expect(counts.stored).toBeGreaterThanOrEqual(12 * 24);
      expect(counts.stored + counts.notYetPosted).toBe(counts.expected);
      // The readings stored while the receivers were unplugged reached Share afterwards.
      const duringUnplug = account.egvs.filter(
        (e) => e.stMs > unpluggedAt && e.stMs < unpluggedAt + 2 * INTERVAL_SECONDS * 1000,
      );
      expect(duringUnplug.length).toBeGreaterThanOrEqual(1);
      expect(new Set(account.egvs.map((e) => e.sn))).toEqual(new Set([serials[n]]));
      expect(account.assignedSerial).toBe(serials[n]);
      // First behind its own link, then behind the one it moved to.
      expect(connections[0]).toBe(`${link(n)}`);
      expect(connections.at(-1)).toBe(`${link(moved[n] as number)}`);
      const state = JSON.parse(await readFile(join(dir, `state-${child.account}`, "state.json"), "utf8"));
      expect(Object.keys(state.receivers)).toEqual([serials[n]]);
    }
  });
});
