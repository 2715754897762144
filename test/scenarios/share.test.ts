/**
 * Share's side going wrong while the daemon runs against the receiver over TCP (issue 5: "Share can
 * be down for hours … the daemon keeps running, says what it is waiting for, and catches up without
 * loss"): a 503 outage of two hours, sessions refused at random, sessions forgotten, the remote
 * monitoring session lapsing or stopped, and a wrong password.
 */
import { writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { Prng } from "../../src/emulator/receiver/prng.js";
import { PASSWORD } from "../sync/support/daemon-bench.js";
import { report } from "./support/accounting.js";
import { HOUR, MINUTE, type Scenario, scenario } from "./support/scenario.js";

let current: Scenario | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const LOGIN_OPS = ["General/AuthenticatePublisherAccount", "General/LoginPublisherAccountById"];
const START_MONITORING = "Publisher/StartRemoteMonitoringSession";
const CLEAN = { lost: 0, storedTwice: 0, foreign: 0, wrongValue: 0, notYetPosted: 0 };

async function tcpScenario(seed: number): Promise<Scenario> {
  current = await scenario({ transport: "tcp", receiver: { seed } });
  return current;
}

describe("Share trouble", () => {
  it("a 503 outage lasting 24 reading intervals: the daemon waits for Share, then catches up", async () => {
    const s = await tcpScenario(51);
    const run = await s.start();
    await run.runUntil(() => run.caughtUp(), HOUR, "the first backfill");
    s.share.setOutage(true);
    const outageAt = s.bench.now;
    await run.runFor(2 * HOUR);
    const during = run.daemon.snapshot();
    s.share.setOutage(false);
    await run.runUntil(() => run.caughtUp(), HOUR, "catching up after the outage");
    const caughtUpAfterMs = s.bench.now - outageAt - 2 * HOUR;
    const after = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    report("Share outage (503) for 2 h", counts, {
      backlogAtEndOfOutage: during.backlog,
      caughtUpMinutesAfterOutage: Math.round(caughtUpAfterMs / MINUTE),
      shareErrors: after.shareErrors,
      cycles: after.cycles,
    });
    expect(counts).toMatchObject(CLEAN);
    expect(counts.stored).toBe(counts.expected);
    expect(during.phase).toBe("waiting-for-share");
    expect(during.waitingFor).toContain("Share to answer");
    // Readings of the outage waited on the receiver: 2 h of readings, give or take the one due.
    expect(during.backlog).toBeGreaterThanOrEqual(23);
    expect(during.backlog).toBeLessThanOrEqual(25);
    expect(after.shareErrors["SHARE_UNAVAILABLE"]).toBeGreaterThan(0);
    expect(after.phase).toBe("idle");
    // The back-off is capped at 10 minutes (plus one reading interval to be woken for the next).
    expect(caughtUpAfterMs).toBeLessThanOrEqual(15 * MINUTE);
  });

  it("random SessionNotValid on 30% of calls for 4 hours: logins again, nothing lost", async () => {
    const s = await tcpScenario(52);
    s.share.setKnobs({ faults: { sessionNotValidRate: 0.3, seed: 7 } });
    const run = await s.start();
    await run.runFor(4 * HOUR);
    s.share.setKnobs({ faults: { sessionNotValidRate: 0 } });
    await run.runUntil(() => run.caughtUp(), HOUR, "catching up");
    const snapshot = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    const refused = s.share.requests.filter((r) => r.code === "SessionNotValid").length;
    const logins = LOGIN_OPS.reduce((n, op) => n + s.count(op), 0);
    report("random SessionNotValid (30%)", counts, {
      sessionNotValid: refused,
      logins,
      shareErrors: snapshot.shareErrors,
      cycles: snapshot.cycles,
    });
    expect(counts).toMatchObject(CLEAN);
    expect(counts.stored).toBe(counts.expected);
    expect(refused).toBeGreaterThan(10);
    // One login to start and one per refused session, at most: no login storm.
    expect(logins).toBeGreaterThan(refused / 2);
    expect(logins).toBeLessThanOrEqual(refused + 1);
  });

  it("Share forgets every session at random moments (a server restart): nothing lost", async () => {
    const s = await tcpScenario(53);
    const random = new Prng(530);
    const run = await s.start();
    for (let i = 0; i < 12; i++) {
      await run.runFor(random.int(5, 30) * MINUTE);
      s.share.dropSessions();
    }
    await run.runUntil(() => run.caughtUp(), HOUR, "catching up");
    const snapshot = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    const notFound = s.share.requests.filter((r) => r.code === "SessionIdNotFound").length;
    report("login sessions dropped ×12", counts, {
      sessionIdNotFound: notFound,
      logins: LOGIN_OPS.reduce((n, op) => n + s.count(op), 0),
      cycles: snapshot.cycles,
    });
    expect(counts).toMatchObject(CLEAN);
    expect(counts.stored).toBe(counts.expected);
    expect(notFound).toBeGreaterThanOrEqual(10);
    expect(snapshot.shareErrors).toEqual({});
  });

  it("the remote monitoring session lapses every 40 minutes and is stopped at random moments", async () => {
    const s = await tcpScenario(54);
    s.share.setKnobs({ monitoringTtlMs: 40 * MINUTE });
    const random = new Prng(540);
    const run = await s.start();
    for (let i = 0; i < 8; i++) {
      await run.runFor(random.int(10, 40) * MINUTE);
      // What StopRemoteMonitoringSession (the app, the web portal) leaves behind.
      s.share.account("wearer").monitoring = { active: false, startedMs: 0 };
    }
    // A reading interval and more, so that a post follows the last stop too.
    await run.runFor(6 * MINUTE);
    await run.runUntil(() => run.caughtUp(), HOUR, "catching up");
    const snapshot = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    const notActive = s.share.requests.filter((r) => r.code === "MonitoringSessionNotActive").length;
    report("monitoring session dropped", counts, {
      monitoringNotActive: notActive,
      monitoringStarts: s.count(START_MONITORING),
      cycles: snapshot.cycles,
    });
    expect(counts).toMatchObject(CLEAN);
    expect(counts.stored).toBe(counts.expected);
    expect(notActive).toBeGreaterThanOrEqual(8);
    // Restarted each time it was found lapsed, and never a failed cycle for it.
    expect(s.count(START_MONITORING)).toBeGreaterThanOrEqual(notActive + 1);
    expect(snapshot.shareErrors).toEqual({});
    expect(s.share.account("wearer").monitoring.active).toBe(true);
  });

  it("a wrong password: one login request in 12 hours, the daemon keeps running and says so; fixed, it catches up", async () => {
    const s = await tcpScenario(55);
    await writeFile(s.bench.passwordFile, "not-the-password\n");
    const run = await s.start();
    await run.runFor(12 * HOUR);
    const refused = run.daemon.snapshot();
    const loginsWhileRefused = LOGIN_OPS.reduce((n, op) => n + s.count(op), 0);
    const postsWhileRefused = s.count("Publisher/PostReceiverEgvRecords");

    await writeFile(s.bench.passwordFile, `${PASSWORD}\n`);
    const fixedAt = s.bench.now;
    await run.runUntil(() => run.caughtUp(), HOUR, "catching up once the password is fixed");
    const after = run.daemon.snapshot();
    await run.stop();

    const counts = await s.tally({ windowStartMs: s.firstPostAtMs() - 24 * HOUR });
    report("wrong password for 12 h, then fixed", counts, {
      loginRequestsWhileRefused: loginsWhileRefused,
      phaseWhileRefused: refused.phase,
      credentialsRefusedChecks: refused.cycles["credentials-refused"],
      catchUpMinutes: Math.round((s.bench.now - fixedAt) / MINUTE),
    });
    expect(loginsWhileRefused).toBe(1);
    expect(postsWhileRefused).toBe(0);
    expect(refused.phase).toBe("waiting-for-operator");
    expect(refused.waitingFor).toContain("Share refused the credentials");
    expect(refused.shareErrors).toEqual({ SHARE_CREDENTIALS: 1 });
    // Checked for the operator once a minute for 12 hours, without asking Share.
    expect(refused.cycles["credentials-refused"]).toBeGreaterThanOrEqual(12 * 60 - 2);
    expect(counts).toMatchObject(CLEAN);
    expect(counts.stored).toBe(counts.expected);
    expect(after.phase).toBe("idle");
  });
});
