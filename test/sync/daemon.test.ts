/**
 * The daemon over hours of fake time against both emulators: it keeps Share current, rides out an
 * absent receiver, a Share outage, an unsynchronised clock and a refused password, and stops cleanly.
 */
import { writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { SharebridgeError } from "../../src/errors.js";
import { cli } from "../support/cli.js";
import { type DaemonBench, daemonBench, lossReport, SYNCED, UNSYNCED, USER } from "./support/daemon-bench.js";

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

  it("waits for an absent receiver, says so, and catches up without loss once it is plugged in", async () => {
    const b = await daemonBench();
    bench = b;
    const real = b.opener;
    b.opener = async () => {
      throw new SharebridgeError("DEVICE_NOT_FOUND", "no Dexcom receiver (USB 22a3:0047) is connected");
    };
    const started = b.now;
    const { daemon, access } = await b.daemon();
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    while (b.now < started + 2 * HOUR) await new Promise((resolve) => setImmediate(resolve));
    expect(daemon.snapshot().phase).toBe("waiting-for-receiver");
    expect(daemon.snapshot().waitingFor).toContain("no Dexcom receiver");
    expect(b.stored()).toHaveLength(0);
    b.opener = real;
    const pluggedAt = b.now;
    while (b.now < pluggedAt + 10 * 60_000) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await running;
    await access.close();
    // The backfill window is counted from the first cycle that could read the receiver.
    expectCaughtUp(b, pluggedAt - 24 * HOUR);
  });

  it("a Share outage of several reading intervals loses nothing", async () => {
    const b = await daemonBench();
    bench = b;
    const start = b.now;
    const { daemon, access } = await b.daemon();
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    while (b.stored().length === 0) await tick();
    b.share.setOutage(true);
    const outageAt = b.now;
    while (b.now < outageAt + 2 * HOUR) await tick();
    expect(daemon.snapshot().phase).toBe("waiting-for-share");
    expect(daemon.snapshot().backlog).toBeGreaterThan(10);
    b.share.setOutage(false);
    while (b.now < outageAt + 3 * HOUR) await tick();
    controller.abort();
    await running;
    await access.close();
    expectCaughtUp(b, start - 24 * HOUR);
    expect(daemon.snapshot().shareErrors["SHARE_UNAVAILABLE"]).toBeGreaterThan(0);
  });

  it("a wrong password: exactly one login request in 48 hours, then logins resume when the file changes", async () => {
    const b = await daemonBench();
    bench = b;
    await writeFile(b.passwordFile, "wrong-password\n");
    const start = b.now;
    const { daemon, access } = await b.daemon();
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    while (b.now < start + 48 * HOUR) await tick();
    const logins = b.share.requests.filter((r) => LOGIN_OPS.includes(r.operation));
    expect(logins).toHaveLength(1);
    expect(daemon.snapshot().phase).toBe("waiting-for-operator");
    expect(daemon.snapshot().waitingFor).toContain("refused the credentials");
    expect(b.stored()).toHaveLength(0);

    await writeFile(b.passwordFile, "c0rrect-h0rse!\n");
    const fixedAt = b.now;
    while (b.now < fixedAt + 30 * 60_000) await tick();
    controller.abort();
    await running;
    await access.close();
    expectCaughtUp(b, fixedAt - 24 * HOUR);
  });

  it("a refused password survives a restart: the new process makes no login request", async () => {
    const b = await daemonBench();
    bench = b;
    await writeFile(b.passwordFile, "wrong-password\n");
    await b.runUntil(() => b.share.requests.length > 0 && b.now > Date.now(), 1);
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
    const { daemon, access } = await b.daemon();
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    while (b.now < start + 2 * HOUR) await tick();
    expect(daemon.snapshot().phase).toBe("waiting-for-operator");
    // The wearer restores the password on the portal; the operator checks it with `share login`.
    b.share.account(USER).password = "c0rrect-h0rse!";
    const login = await cli([
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
    ]);
    expect(login.code).toBe(0);
    const confirmedAt = b.now;
    while (b.now < confirmedAt + HOUR) await tick();
    controller.abort();
    await running;
    await access.close();
    expect(daemon.snapshot().cycles["posted"]).toBeGreaterThan(0);
    expectCaughtUp(b, confirmedAt - 24 * HOUR);
  });

  it("waits for a synchronised clock at boot, posts nothing meanwhile, then catches up", async () => {
    const b = await daemonBench();
    bench = b;
    b.hostSync = UNSYNCED;
    b.share.setOutage(true); // Share's server time is not available either
    const start = b.now;
    const { daemon, access } = await b.daemon();
    const controller = new AbortController();
    const running = daemon.run(controller.signal);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    while (b.now < start + HOUR) await tick();
    expect(daemon.snapshot().phase).toBe("waiting-for-clock");
    expect(b.stored()).toHaveLength(0);
    b.hostSync = SYNCED;
    b.share.setOutage(false);
    const syncedAt = b.now;
    while (b.now < start + 2 * HOUR) await tick();
    controller.abort();
    await running;
    await access.close();
    // The clock is re-checked within 30 s; the window counts from then.
    const report = lossReport(b, syncedAt - 24 * HOUR);
    expect(report.missing.filter((st) => st >= syncedAt + 30_000 - 24 * HOUR)).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.stored).toBeGreaterThan(24 * 12);
  });

  it("stops on its signal and reports a stalled loop", async () => {
    const b = await daemonBench();
    bench = b;
    let stalled = 0;
    const { daemon, access } = await b.daemon({
      openReceiver: () => new Promise(() => undefined), // a device open that never returns
      stallMs: 50,
      onStall: () => stalled++,
      clock: { now: () => Date.now(), sleep: async () => undefined },
    });
    const controller = new AbortController();
    void daemon.run(controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stalled).toBe(1);
    controller.abort();
    await access.close();
  });
});
