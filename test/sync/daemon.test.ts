/**
 * The daemon over hours of fake time against both emulators: it keeps Share current, rides out an
 * absent receiver, a Share outage, an unsynchronised clock and a refused password, and stops cleanly.
 */
import { writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { SharebridgeError } from "../../src/errors.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { cli } from "../support/cli.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";
import {
  type DaemonBench,
  daemonBench,
  lossReport,
  SYNCED,
  trueOffsetSeconds,
  UNSYNCED,
  USER,
} from "./support/daemon-bench.js";

let bench: DaemonBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const HOUR = 3_600_000;

/** Nothing lost, nothing twice, at most the one reading not yet due; returns how many were posted. */
function expectCaughtUp(b: DaemonBench, windowStartMs: number): number {
  const report = lossReport(b, windowStartMs);
  expect(report.missing).toEqual([]);
  expect(report.duplicates).toBe(0);
  expect(report.notYetPosted.length).toBeLessThanOrEqual(1);
  expect(report.stored).toBe(report.expected - report.notYetPosted.length);
  return report.stored;
}
const LOGIN_OPS = ["General/AuthenticatePublisherAccount", "General/LoginPublisherAccountById"];

describe("daemon", () => {
  it("keeps Share current: every reading of the window and of 3 live hours, each once", async () => {
    const b = await daemonBench();
    bench = b;
    const start = b.now;
    const daemon = await b.runUntil(() => b.now > start + 3 * HOUR, 4);
    expect(expectCaughtUp(b, start - 24 * HOUR)).toBeGreaterThan(24 * 12 + 3 * 12 - 30);
    const snapshot = daemon.snapshot();
    expect(snapshot.phase).toBe("stopping");
    expect(snapshot.cycles["posted"]).toBeGreaterThanOrEqual(36);
    // Woken by the receiver's own schedule: about one cycle per reading, not a blind poll.
    expect(snapshot.cycles["nothing-new"] ?? 0).toBeLessThanOrEqual(4);
    expect(b.share.requests.filter((r) => r.code === "DuplicateEgvPosted")).toHaveLength(0);
  });

  it("probes around each reading's due time: it reaches Share within half a second, for 4 probes at most", async () => {
    const b = await daemonBench();
    bench = b;
    const storedAt = new Map<number, number>();
    const storeEgv = b.share.state.storeEgv.bind(b.share.state);
    b.share.state.storeEgv = (account, egv) => {
      const stored = storeEgv(account, egv);
      if (stored) storedAt.set(egv.stMs, b.now);
      return stored;
    };
    const start = b.now;
    const { daemon, stop, store } = await b.start();
    await b.runWhile(() => b.now < start + 3 * HOUR);
    await stop();
    // When the receiver stored each live reading — its whole-second system clock ticked to the
    // reading's time: the fraction of `offset` is how far past a tick the bench's clock is — and how
    // long until Share stored it.
    const offset = trueOffsetSeconds(b);
    const tickOffset = Math.floor(offset);
    const live = (b.receiver.model.partitions[4]?.records ?? []).filter(
      (r) =>
        "glucose" in r &&
        !r.displayOnly &&
        r.special === null &&
        r.systemSeconds + offset > (start - RECEIVER_EPOCH_MS) / 1000 + 600,
    );
    const heldOffset =
      store.current.receivers[b.receiver.serial.toUpperCase()]?.heldOffset?.offsetSeconds ?? 0;
    const lags = live.map((r) => {
      const writtenMs = RECEIVER_EPOCH_MS + (r.systemSeconds + tickOffset) * 1000;
      const stMs = RECEIVER_EPOCH_MS + (r.systemSeconds + heldOffset) * 1000;
      return (storedAt.get(stMs) ?? Number.POSITIVE_INFINITY) - writtenMs;
    });
    expect(live.length).toBeGreaterThanOrEqual(33);
    expect(Math.max(...lags)).toBeLessThanOrEqual(500);
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(0);
    const snapshot = daemon.snapshot();
    expect(snapshot.probes / live.length).toBeLessThanOrEqual(4);
    expect(snapshot.probes).toBeGreaterThan(live.length);
  });

  it("waits for an absent receiver, says so, and catches up without loss once it is plugged in", async () => {
    const b = await daemonBench();
    bench = b;
    const real = b.opener;
    b.opener = async () => {
      throw new SharebridgeError("DEVICE_NOT_FOUND", "no Dexcom receiver (USB 22a3:0047) is connected");
    };
    const started = b.now;
    const { daemon, stop } = await b.start();
    await b.runWhile(() => b.now < started + 2 * HOUR);
    expect(daemon.snapshot().phase).toBe("waiting-for-receiver");
    expect(daemon.snapshot().waitingFor).toContain("no Dexcom receiver");
    expect(b.stored()).toHaveLength(0);
    b.opener = real;
    const pluggedAt = b.now;
    await b.runWhile(() => b.now < pluggedAt + 10 * 60_000);
    await stop();
    // The backfill window is counted from the first cycle that could read the receiver.
    expectCaughtUp(b, pluggedAt - 24 * HOUR);
  });

  it("a Share outage of several reading intervals loses nothing", async () => {
    const b = await daemonBench();
    bench = b;
    const start = b.now;
    const { daemon, stop } = await b.start();
    await b.runWhile(() => b.stored().length === 0);
    b.share.setOutage(true);
    const outageAt = b.now;
    await b.runWhile(() => b.now < outageAt + 2 * HOUR);
    expect(daemon.snapshot().phase).toBe("waiting-for-share");
    expect(daemon.snapshot().backlog).toBeGreaterThan(10);
    b.share.setOutage(false);
    await b.runWhile(() => b.now < outageAt + 3 * HOUR);
    await stop();
    expectCaughtUp(b, start - 24 * HOUR);
    expect(daemon.snapshot().shareErrors["SHARE_UNAVAILABLE"]).toBeGreaterThan(0);
  });

  it("a wrong password: exactly one login request in 48 hours, then logins resume when the file changes", async () => {
    const b = await daemonBench();
    bench = b;
    await writeFile(b.passwordFile, "wrong-password\n");
    const start = b.now;
    const { daemon, stop } = await b.start();
    await b.runWhile(() => b.now < start + 48 * HOUR);
    const logins = b.share.requests.filter((r) => LOGIN_OPS.includes(r.operation));
    expect(logins).toHaveLength(1);
    expect(daemon.snapshot().phase).toBe("waiting-for-operator");
    expect(daemon.snapshot().waitingFor).toContain("refused the credentials");
    expect(b.stored()).toHaveLength(0);

    await writeFile(b.passwordFile, "c0rrect-h0rse!\n");
    const fixedAt = b.now;
    await b.runWhile(() => b.now < fixedAt + 30 * 60_000);
    await stop();
    expectCaughtUp(b, fixedAt - 24 * HOUR);
  });

  it("a refused password survives a restart: the new process makes no login request", async () => {
    const b = await daemonBench();
    bench = b;
    await writeFile(b.passwordFile, "wrong-password\n");
    await b.runUntil(() => b.share.requests.length > 0 && b.now > TEST_EPOCH_MS, 7);
    const first = b.share.requests.filter((r) => LOGIN_OPS.includes(r.operation)).length;
    expect(first).toBe(1);
    b.share.clearRequests();
    await b.runUntil(() => false, 5);
    expect(b.share.requests.filter((r) => LOGIN_OPS.includes(r.operation))).toHaveLength(0);
  });

  it("a refusal is lifted by a successful `share login` recorded in the state directory", async () => {
    const b = await daemonBench();
    bench = b;
    b.share.account(USER).password = "changed-on-the-portal";
    const start = b.now;
    const { daemon, stop } = await b.start();
    await b.runWhile(() => b.now < start + 2 * HOUR);
    expect(daemon.snapshot().phase).toBe("waiting-for-operator");
    // The wearer restores the password on the portal; the operator checks it with `share login`.
    b.share.account(USER).password = "c0rrect-h0rse!";
    const login = await cli(
      [
        "share",
        "login",
        "--server",
        b.share.url("us"),
        "--username",
        USER,
        "--password-file",
        b.passwordFile,
        "--state-dir",
        b.config.stateDir,
        "--force", // the password file did not change: share login too remembers the refusal
      ],
      undefined,
      { clock: { now: () => b.now } },
    );
    expect(login.code).toBe(0);
    const confirmedAt = b.now;
    await b.runWhile(() => b.now < confirmedAt + HOUR);
    await stop();
    expect(daemon.snapshot().cycles["posted"]).toBeGreaterThan(0);
    expectCaughtUp(b, confirmedAt - 24 * HOUR);
  });

  it("no synchronised clock at boot and Share down: waits for Share, counts what waits, then catches up", async () => {
    const b = await daemonBench();
    bench = b;
    b.hostSync = UNSYNCED;
    b.share.setOutage(true); // Share's server time is not available either
    const start = b.now;
    const { daemon, stop } = await b.start();
    await b.runWhile(() => b.now < start + HOUR);
    // Share is both the clock and the destination: what is missing is Share, not NTP (issue: exit 5).
    expect(daemon.snapshot().phase).toBe("waiting-for-share");
    expect(daemon.snapshot().waitingFor).toContain("Share to answer");
    expect(daemon.snapshot().backlog).toBeGreaterThanOrEqual(24 * 12);
    expect(b.stored()).toHaveLength(0);
    b.hostSync = SYNCED;
    b.share.setOutage(false);
    const syncedAt = b.now;
    await b.runWhile(() => b.now < start + 2 * HOUR);
    await stop();
    // The clock is re-checked within 30 s; the window counts from then.
    const report = lossReport(b, syncedAt - 24 * HOUR);
    expect(report.missing.filter((st) => st >= syncedAt + 30_000 - 24 * HOUR)).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.stored).toBeGreaterThan(24 * 12);
  });
});
