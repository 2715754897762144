/**
 * `status` logic: the state file (read, never repaired) and a quick probe of the receiver emulator
 * in-process, on a fixed clock; exact text and exact JSON.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/schema.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { SharebridgeError } from "../../src/errors.js";
import type { ProbeDevice } from "../../src/observe/receiver-probe.js";
import { collectStatus, type StatusReport } from "../../src/observe/status.js";
import { formatStatus } from "../../src/observe/status-format.js";

const T = Date.UTC(2026, 4, 2, 12, 0, 0);
const ACCOUNT_ID = "0f5c5c7e-1d2b-4c3a-9e8f-123456789abc";
const SERIAL = "SM36404766"; // the g4 profile's serial for the default seed

function config(dir: string, share: Partial<Config["share"]> = { region: "us", username: "alice" }): Config {
  return {
    device: "emulate:g4",
    stateDir: dir,
    readingIntervalSeconds: 300,
    backfillHours: 24,
    clock: { mode: "corrected", assumeSynchronized: false },
    share: {
      region: undefined,
      server: undefined,
      username: undefined,
      passwordFile: undefined,
      replaceReceiver: "auto",
      requestDeadlineSeconds: 60,
      ...share,
    },
    display: { units: "mg/dL" },
    archive: { retentionDays: 90 },
    alerts: { format: "ntfy", afterMinutes: 20 },
    http: { listen: null },
    receiver: {},
    mqtt: { topicPrefix: "sharebridge", discoveryPrefix: "homeassistant" },
    log: { level: "info" },
  };
}

function stateDocument(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    receivers: {
      [SERIAL]: {
        egvCursor: { lastIndex: 4711, lastSystemSeconds: 500_000_000, lastStSeconds: (T - 250_000) / 1000 },
        heldOffset: { offsetSeconds: 1234, sinceUtcMs: T - 3_600_000 },
        lastReading: { index: 4711, systemSeconds: 500_000_000, utcMs: T - 250_000, glucose: 123, trend: 4 },
        lastPostUtcMs: T - 240_000,
      },
    },
    accounts: { "https://share2.dexcom.com alice": { accountId: ACCOUNT_ID, login: { state: "closed" } } },
    lastSerial: SERIAL,
    lastCycle: { atMs: T - 240_000, outcome: "posted", backlog: 0 },
    ...change,
  };
}

describe("status", () => {
  let emulator: ReceiverEmulator;
  let root: string;
  let dir: string;
  let device: ProbeDevice;

  beforeAll(async () => {
    emulator = createReceiverEmulator({ profile: "g4", now: () => T });
    root = await mkdtemp(join(tmpdir(), "status-"));
  });
  afterAll(async () => {
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(root, "state-"));
    device = { opener: emulator.opener(), release: async () => undefined };
  });

  const write = (document: unknown) => writeFile(join(dir, "state.json"), JSON.stringify(document));
  const collect = (cfg = config(dir), probe = device) =>
    collectStatus({ config: cfg, device: probe, now: () => T });

  it("reports everything at a glance, in words and as JSON", async () => {
    await write(stateDocument());
    const report = await collect();
    expect(formatStatus(report)).toBe(`Receiver      ${SERIAL}, G4, firmware 2.0.1.104, on emulator:g4
Battery       ${report.receiver.batteryPercent} %, charging
Last reading  123 mg/dL, Flat, 4 min ago (2026-05-02 11:55:50 UTC)
Last post     4 min ago (2026-05-02 11:56:00 UTC)
Backlog       0 readings
Clock offset  +20 min (+1234 s): receiver system clock behind true time
Share login   ok (alice on https://share2.dexcom.com)
Last cycle    posted, 4 min ago (2026-05-02 11:56:00 UTC)
State file    ${dir}/state.json
`);
    // display.units: mmol/L, one decimal.
    expect(formatStatus(report, "mmol/L").split("\n")[2]).toBe(
      "Last reading  6.8 mmol/L, Flat, 4 min ago (2026-05-02 11:55:50 UTC)",
    );
    expect(report).toEqual({
      now: "2026-05-02T12:00:00.000Z",
      stateFile: { path: join(dir, "state.json"), state: "ok", problem: null },
      receiver: {
        present: true,
        inUse: false,
        device: "emulator:g4",
        serial: SERIAL,
        generation: "G4",
        productName: report.receiver.productName,
        firmwareVersion: "2.0.1.104",
        batteryPercent: report.receiver.batteryPercent,
        batteryState: "charging",
        problem: null,
      },
      serial: SERIAL,
      lastReading: { glucose: 123, trend: "Flat", at: "2026-05-02T11:55:50.000Z", ageSeconds: 250 },
      lastPost: { at: "2026-05-02T11:56:00.000Z", ageSeconds: 240 },
      backlog: 0,
      held: null,
      quarantined: [],
      clockOffset: { seconds: 1234, since: "2026-05-02T11:00:00.000Z" },
      auth: {
        state: "ok",
        account: "alice",
        origin: "https://share2.dexcom.com",
        since: null,
        until: null,
        reason: null,
      },
      lastCycle: {
        at: "2026-05-02T11:56:00.000Z",
        ageSeconds: 240,
        outcome: "posted",
        error: null,
        backlog: 0,
      },
      findings: [],
    } satisfies StatusReport);
    expect(report.receiver.batteryPercent).toBeGreaterThanOrEqual(55);
    expect(report.receiver.productName).not.toBe("");
    // The JSON form round-trips with every key present (null, never absent).
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("a missing receiver is a finding; the facts come from the receiver last synced", async () => {
    await write(
      stateDocument({ lastCycle: { atMs: T - 30_000, outcome: "receiver-error", error: "no receiver" } }),
    );
    const missing: ProbeDevice = {
      opener: async () => {
        throw new SharebridgeError("DEVICE_NOT_FOUND", "no Dexcom receiver (USB 22a3:0047) is connected", {});
      },
      release: async () => undefined,
    };
    const report = await collect(config(dir), missing);
    expect(report.receiver).toEqual({
      present: false,
      inUse: false,
      device: null,
      serial: null,
      generation: null,
      productName: null,
      firmwareVersion: null,
      batteryPercent: null,
      batteryState: null,
      problem: "no Dexcom receiver (USB 22a3:0047) is connected [DEVICE_NOT_FOUND]",
    });
    expect(report.serial).toBe(SERIAL);
    expect(report.lastReading?.glucose).toBe(123);
    const text = formatStatus(report);
    expect(text.split("\n").slice(0, 2)).toEqual([
      `Receiver      not answering (last synced: ${SERIAL})`,
      "Battery       —",
    ]);
    expect(report.findings).toEqual([
      "no receiver answered: no Dexcom receiver (USB 22a3:0047) is connected [DEVICE_NOT_FOUND]",
      'the last cycle ended with "receiver-error": no receiver',
    ]);
    expect(text).toContain(
      'Needs attention:\n  - no receiver answered: no Dexcom receiver (USB 22a3:0047) is connected [DEVICE_NOT_FOUND]\n  - the last cycle ended with "receiver-error": no receiver\n',
    );
  });

  it("shows readings Share holds back as future and those it keeps refusing (quarantine)", async () => {
    const egv = (stSeconds: number, glucose: number) => ({
      stSeconds,
      dtSeconds: stSeconds,
      taSeconds: 0,
      glucose,
      trend: 4,
    });
    await write({
      version: 2,
      receivers: {
        [SERIAL]: {
          sinks: {
            share: {
              cursors: {},
              notes: {
                held: { firstIndex: 4712, cycles: 3, sinceMs: T - 900_000 },
                quarantine: [
                  {
                    recordType: 4,
                    index: 4700,
                    egv: egv((T - 3_600_000) / 1000, 77),
                    fault: "InvalidArgument",
                    sinceMs: T - 3_000_000,
                    lastTriedMs: T - 3_000_000,
                  },
                  {
                    recordType: 4,
                    index: 4705,
                    egv: egv((T - 2_100_000) / 1000, 81),
                    fault: "InvalidArgument",
                    sinceMs: T - 2_000_000,
                    lastTriedMs: T - 2_000_000,
                  },
                  {
                    recordType: 4,
                    index: "not a number",
                    egv: egv(1, 2),
                    fault: "x",
                    sinceMs: 0,
                    lastTriedMs: 0,
                  },
                ],
              },
            },
          },
        },
      },
      accounts: {},
      lastSerial: SERIAL,
      lastCycle: { atMs: T - 30_000, outcome: "posted", backlog: 0 },
    });
    const report = await collect();
    expect(report.held).toEqual({ firstIndex: 4712, cycles: 3, since: "2026-05-02T11:45:00.000Z" });
    expect(report.quarantined).toEqual([
      {
        index: 4700,
        st: "2026-05-02T11:00:00.000Z",
        glucose: 77,
        fault: "InvalidArgument",
        since: "2026-05-02T11:10:00.000Z",
        lastTried: "2026-05-02T11:10:00.000Z",
      },
      {
        index: 4705,
        st: "2026-05-02T11:25:00.000Z",
        glucose: 81,
        fault: "InvalidArgument",
        since: "2026-05-02T11:26:40.000Z",
        lastTried: "2026-05-02T11:26:40.000Z",
      },
    ]);
    expect(report.findings).toEqual([
      "Share has called readings future for 3 cycles in a row: they are held, not lost; check the host's clock (timedatectl)",
      "2 readings that Share keeps refusing (InvalidArgument): set aside, tried again once a day",
    ]);
    const text = formatStatus(report);
    expect(text).toContain("Held          readings Share called future, 3 cycles in a row\n");
    expect(text).toContain(
      "Quarantined   2 readings Share keeps refusing\n              77 mg/dL at 2026-05-02T11:00:00.000Z: InvalidArgument\n              81 mg/dL at 2026-05-02T11:25:00.000Z: InvalidArgument\n",
    );
  });

  it("a port held by the running daemon is expected, not a problem, while cycles complete", async () => {
    const held: ProbeDevice = {
      opener: async () => {
        throw new SharebridgeError(
          "DEVICE_OPEN_FAILED",
          "cannot open /dev/ttyACM0: Error Resource temporarily unavailable Cannot lock port",
          {},
        );
      },
      release: async () => undefined,
    };
    await write(stateDocument());
    const running = await collect(config(dir), held);
    expect(running.receiver).toMatchObject({ present: false, inUse: true });
    expect(formatStatus(running).split("\n")[0]).toBe(
      `Receiver      in use by another program, normally the running daemon (last synced: ${SERIAL})`,
    );
    expect(running.findings).toEqual([]);

    await write(stateDocument({ lastCycle: { atMs: T - 3_600_000, outcome: "posted", backlog: 0 } }));
    const stale = await collect(config(dir), held);
    expect(stale.findings).toEqual([
      "the receiver's port is held by another program, and no sync cycle completed lately: cannot open /dev/ttyACM0: Error Resource temporarily unavailable Cannot lock port [DEVICE_OPEN_FAILED]",
      "no sync cycle for 1 h: is the daemon (`sharebridge run`) running?",
    ]);
  });

  it("a silent device costs at most the probe's deadline, never a hang", async () => {
    await write(stateDocument());
    let released = 0;
    const silent: ProbeDevice = {
      opener: async (sink) => ({
        description: "/dev/ttyACM9",
        write: async () => undefined,
        close: async () => sink.closed(),
      }),
      release: async () => {
        released++;
      },
    };
    const started = Date.now();
    const report = await collectStatus({
      config: config(dir),
      device: silent,
      now: () => T,
      probe: { timeoutMs: 50, deadlineMs: 3000 },
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.receiver.present).toBe(false);
    expect(report.receiver.device).toBe("/dev/ttyACM9");
    expect(report.receiver.problem).toMatch(/\[LINK_FAILED\]$/);
    expect(released).toBe(1);

    const endless: ProbeDevice = {
      opener: () => new Promise(() => undefined),
      release: async () => undefined,
    };
    const late = Date.now();
    const stuck = await collectStatus({
      config: config(dir),
      device: endless,
      now: () => T,
      probe: { deadlineMs: 200 },
    });
    expect(Date.now() - late).toBeLessThan(2000);
    expect(stuck.receiver.problem).toBe("the receiver did not answer within 200 ms [RESPONSE_TIMEOUT]");
  });

  it("reads a corrupt state file without repairing it, and says so", async () => {
    await writeFile(join(dir, "state.json"), "{not json");
    const report = await collect();
    expect(report.stateFile.state).toBe("corrupt");
    expect(report.stateFile.problem).toMatch(/JSON/);
    expect(report.findings).toContain(
      `the state file ${join(dir, "state.json")} is corrupt (${report.stateFile.problem}): the daemon will keep a copy and start from a safe default`,
    );
    expect(await readFile(join(dir, "state.json"), "utf8")).toBe("{not json");
    expect(await readdir(dir)).toEqual(["state.json"]);

    await write({ version: 99 });
    expect((await collect()).stateFile).toEqual({
      path: join(dir, "state.json"),
      state: "corrupt",
      problem: "not a version 2 state document",
    });
  });

  it("a state file that is not a file, or is absent, is a finding, not a failure", async () => {
    await mkdir(join(dir, "state.json"));
    const directory = await collect();
    expect(directory.stateFile).toEqual({
      path: join(dir, "state.json"),
      state: "corrupt",
      problem: "not a regular file but a directory",
    });
    expect(directory.findings[0]).toBe(
      `the state file ${join(dir, "state.json")} is corrupt (not a regular file but a directory): the daemon will keep a copy and start from a safe default`,
    );
    await rm(join(dir, "state.json"), { recursive: true });
    const absent = await collect();
    expect(absent.stateFile.state).toBe("absent");
    expect(absent.auth.state).toBe("never-logged-in");
    expect(formatStatus(absent)).toContain(`State file    ${dir}/state.json (absent)\n`);
  });

  it("shows the login breaker: refused since, locked out until, lockout over, lifted by a confirmed login", async () => {
    const key = "https://share2.dexcom.com alice";
    const login = (value: unknown) =>
      stateDocument({ accounts: { [key]: { accountId: ACCOUNT_ID, login: value } } });
    const line = async () =>
      formatStatus(await collect())
        .split("\n")
        .find((l) => l.startsWith("Share login")) ?? "";

    await write(
      login({ state: "credentials-rejected", sinceMs: T - 3 * 3_600_000, reason: "AccountPasswordInvalid" }),
    );
    expect(await line()).toBe(
      "Share login   credentials refused since 2026-05-02 09:00:00 UTC (3 h ago, AccountPasswordInvalid) (alice on https://share2.dexcom.com)",
    );
    expect((await collect()).auth).toEqual({
      state: "credentials-rejected",
      account: "alice",
      origin: "https://share2.dexcom.com",
      since: "2026-05-02T09:00:00.000Z",
      until: null,
      reason: "AccountPasswordInvalid",
    });
    expect((await collect()).findings).toContain(
      "Share refused the credentials: fix the username, password or region, then run `sharebridge share login` (nothing is retried until then)",
    );

    await write(
      login({
        state: "locked-out",
        sinceMs: T - 5 * 60_000,
        untilMs: T + 25 * 60_000,
        reason: "SSO_AuthenticateAccountLocked",
      }),
    );
    expect(await line()).toBe(
      "Share login   locked out until 2026-05-02 12:25:00 UTC (in 25 min, SSO_AuthenticateAccountLocked) (alice on https://share2.dexcom.com)",
    );

    await write(
      login({ state: "locked-out", sinceMs: T - 40 * 60_000, untilMs: T - 10 * 60_000, reason: "x" }),
    );
    expect(await line()).toBe(
      "Share login   lockout ended 10 min ago; the next login is allowed (alice on https://share2.dexcom.com)",
    );

    await write(
      login({
        state: "credentials-rejected",
        sinceMs: T - 3_600_000,
        reason: "x",
        confirmedAtMs: T - 60_000,
      }),
    );
    expect(await line()).toBe("Share login   ok (alice on https://share2.dexcom.com)");
  });

  it("without a configured account, shows the only account in the state file", async () => {
    await write(stateDocument());
    const report = await collect(config(dir, {}));
    expect(report.auth).toMatchObject({ state: "ok", account: "alice", origin: "https://share2.dexcom.com" });
    await write(stateDocument({ accounts: {} }));
    expect(formatStatus(await collect(config(dir, {})))).toContain(
      "Share login   no Share account configured\n",
    );
  });

  it("notices another receiver, a stale daemon and readings waiting for Share", async () => {
    await write(
      stateDocument({
        lastSerial: "SM00000001",
        lastCycle: {
          atMs: T - 2 * 3_600_000,
          outcome: "share-error",
          error: "Share unavailable",
          backlog: 24,
        },
      }),
    );
    const report = await collect();
    expect(report.serial).toBe(SERIAL);
    expect(report.findings).toEqual([
      `the receiver plugged in (${SERIAL}) is not the one last synced (SM00000001); the next sync starts a new history for it`,
      'the last cycle ended with "share-error": Share unavailable',
      "no sync cycle for 2 h: is the daemon (`sharebridge run`) running?",
      "24 readings not yet on Share (last post 4 min ago)",
    ]);
  });

  it("treats the state file as untrusted: no control characters reach the terminal, absurd times are dropped", async () => {
    await write(
      stateDocument({
        lastCycle: { atMs: T - 60_000, outcome: "posted\u001b[2J", error: "bad\nline\u001b]0;title\u0007" },
        receivers: {
          [SERIAL]: {
            lastReading: { index: 1, systemSeconds: 1, utcMs: 1e300, glucose: 100, trend: 4 },
            lastPostUtcMs: -1e300,
          },
        },
      }),
    );
    const report = await collect();
    expect(report.lastReading).toBeNull();
    expect(report.lastPost).toBeNull();
    const text = formatStatus(report);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(text).toContain("Last cycle    posted?[2J, 1 min ago");
    expect(text).toContain('  - the last cycle ended with "posted?[2J": bad?line?]0;title?\n');
  });
});
