/** `sharebridge status` end to end through the command line, against the receiver emulator. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { createReceiverEmulator, type ReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { cli } from "../support/cli.js";

const T = Date.UTC(2026, 4, 2, 12, 0, 0);

describe("sharebridge status", () => {
  let dir: string;
  let emulator: ReceiverEmulator;
  let serial: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "status-cli-"));
    emulator = createReceiverEmulator({ profile: "g5", seed: 7, now: () => T });
    serial = emulator.serial;
  });
  afterAll(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // Only Date is fake: the report's "now" and ages are exact; sockets and timers stay real.
    vi.useFakeTimers({ toFake: ["Date"], now: T });
    await writeFile(
      join(dir, "state.json"),
      JSON.stringify({
        version: 1,
        receivers: {
          [serial]: {
            heldOffset: { offsetSeconds: -86_400 * 3 - 7200, sinceUtcMs: T - 60_000 },
            lastReading: { index: 9, systemSeconds: 1, utcMs: T - 65_000, glucose: 250, trend: 1 },
            lastPostUtcMs: T - 60_000,
          },
        },
        accounts: {},
        lastSerial: serial,
        lastCycle: { atMs: T - 60_000, outcome: "posted", backlog: 2 },
      }),
    );
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("prints the state at a glance over a TCP receiver, exit 0", async () => {
    const listener = await emulator.listenTcp("127.0.0.1", 0);
    try {
      const device = `tcp://127.0.0.1:${listener.port}`;
      const run = await cli([
        "status",
        "--device",
        device,
        "--state-dir",
        dir,
        "--region",
        "ous",
        "--username",
        "bob",
      ]);
      expect(run.code).toBe(EXIT.OK);
      const battery = /^Battery {7}(\d+) %, charging$/m.exec(run.stdout)?.[1];
      expect(run.stdout).toBe(`Receiver      ${serial}, G5 Mobile, firmware 4.0.1.048, on ${device}
Battery       ${battery} %, charging
Last reading  250 mg/dL, DoubleUp, 1 min ago (2026-05-02 11:58:55 UTC)
Last post     1 min ago (2026-05-02 11:59:00 UTC)
Backlog       2 readings
Clock offset  −3 d 2 h (−266400 s): receiver system clock ahead of true time
Share login   no login yet (bob on https://shareous1.dexcom.com)
Last cycle    posted, 1 min ago (2026-05-02 11:59:00 UTC)
State file    ${dir}/state.json

Needs attention:
  - 2 readings not yet on Share (last post 1 min ago)
`);
    } finally {
      await listener.close();
    }
  });

  it("--json: one object with the documented keys; --device emulate runs in-process", async () => {
    const run = await cli(["status", "--json", "--device", "emulate:g4", "--state-dir", dir]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout.endsWith("}\n")).toBe(true);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([
      "now",
      "stateFile",
      "receiver",
      "serial",
      "lastReading",
      "lastPost",
      "clockOffset",
      "held",
      "quarantined",
      "backlog",
      "auth",
      "lastCycle",
      "findings",
    ]);
    expect(report["now"]).toBe("2026-05-02T12:00:00.000Z");
    expect(report["receiver"]).toMatchObject({ present: true, device: "emulator:g4", generation: "G4" });
    // The emulated g4 is another receiver than the one in the state file.
    expect(report["serial"]).not.toBe(serial);
    expect(report["lastReading"]).toBeNull();
    expect(report["auth"]).toEqual({
      state: "not-configured",
      account: null,
      origin: null,
      since: null,
      until: null,
      reason: null,
    });
  });

  it("no receiver: still exit 0, with the finding", async () => {
    const run = await cli(["status", "--device", "tcp://127.0.0.1:1", "--state-dir", dir]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stderr).toBe(""); // the report is the output; logs only with an explicit --log-level
    expect(run.stdout).toContain(`Receiver      not answering (last synced: ${serial})\n`);
    expect(run.stdout).toContain("Last reading  250 mg/dL, DoubleUp, 1 min ago");
    expect(run.stdout).toContain("  - no receiver answered: cannot connect to tcp://127.0.0.1:1");
  });

  it("--log-level given explicitly brings the probe's log lines back, on stderr", async () => {
    const run = await cli(["status", "--device", "emulate:g4", "--state-dir", dir, "--log-level", "trace"]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stderr).toContain('"msg":"emulator connection closed"');
  });

  it("a wrong command line or configuration exits 2", async () => {
    const region = await cli(["status", "--region", "mars", "--state-dir", dir]);
    expect(region.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(region.stderr).toContain("share.region");
    const device = await cli(["status", "--device", "http://x:1", "--state-dir", dir]);
    expect(device.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(device.stderr).toContain("DEVICE_SPEC_INVALID");
    const server = await cli(["status", "--server", "http://example.org:8080", "--state-dir", dir]);
    expect(server.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect((await cli(["status", "--bogus"])).code).toBe(EXIT.USAGE_OR_CONFIG);
  });
});
