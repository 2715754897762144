/** `sharebridge history` over an archive written by the archive sink: table, JSON lines, CSV, units. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import type { Reading } from "../../src/readings/reading.js";
import { ArchiveSink } from "../../src/sinks/archive/archive-sink.js";
import { sinkContext } from "../sinks/support/sink-context.js";
import { cli } from "../support/cli.js";

const T = Date.UTC(2026, 2, 10, 14, 30, 0);
const SERIAL = "SM12345678";

let dir: string;
let configFile: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-history-"));
  configFile = join(dir, "config.json");
  await writeFile(configFile, JSON.stringify({ stateDir: join(dir, "state") }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function reading(i: number, glucose: number | undefined, change: Partial<Reading> = {}): Reading {
  const wtMs = T - (4 - i) * 300_000;
  return {
    recordType: 4,
    index: 100 + i,
    systemSeconds: 500_000_000 + i * 300,
    storedGlucose: glucose ?? 5,
    glucose,
    trend: 4 - (i % 3),
    times: { stMs: wtMs, dtMs: wtMs + 3_600_000, ta: 0, wtMs },
    skip: glucose === undefined ? "special" : undefined,
    ...change,
  };
}

/** Five readings archived as the daemon does, with Share's outcomes for four of them. */
async function archive(): Promise<void> {
  const sink = new ArchiveSink({ dir: join(dir, "state", "archive"), retentionDays: 90, log: silentLogger });
  const readings = [reading(0, 123), reading(1, undefined), reading(2, 39), reading(3, 181), reading(4, 99)];
  await sink.open(sinkContext({ serial: SERIAL, now: () => T })).write(readings);
  const outcomes = ["stored", "skipped", "stored", "quarantined"] as const;
  outcomes.forEach((outcome, i) => {
    sink.noteOutcome({
      serial: SERIAL,
      reading: readings[i] as Reading,
      outcome,
      atMs: T + 1000,
      ...(outcome === "quarantined" ? { fault: "InvalidArgument" } : {}),
    });
  });
  await sink.flush(T + 1000);
}

const run = (...args: string[]) =>
  cli(["history", "--config", configFile, "--since", "2026-03-10T14:00Z", ...args], undefined, {
    clock: { now: () => T + 60_000 },
  });

describe("sharebridge history", () => {
  it("a table at the wearer's clock, values in words where they are not numbers", async () => {
    await archive();
    const out = await run();
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(
      [
        "time              mg/dL  trend            Share",
        "2026-03-10 15:10  123    → steady         on Share",
        "2026-03-10 15:15  —      ↗ rising slowly  not posted: a sensor state, not a value",
        "2026-03-10 15:20  LOW    ↑ rising         on Share",
        "2026-03-10 15:25  181    → steady         quarantined: Share refuses it (InvalidArgument), retried daily",
        "2026-03-10 15:30  99     ↗ rising slowly  waiting to be posted",
        "",
      ].join("\n"),
    );
    expect(out.stderr).toBe("5 readings since 2026-03-10T14:00:00.000Z\n");
  });

  it("mmol/L with one decimal; JSON lines carry the numbers", async () => {
    await archive();
    const table = await run("--units", "mmol/L");
    expect(table.stdout.split("\n").map((l) => l.slice(18, 25).trimEnd())).toEqual([
      "mmol/L",
      "6.8",
      "—",
      "LOW",
      "10.0",
      "5.5",
      "",
    ]);
    const json = await run("--format", "json", "--units", "mmol/L");
    const rows = json.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({
      serial: SERIAL,
      recordType: 4,
      index: 100,
      systemSeconds: 500_000_000,
      utc: "2026-03-10T14:10:00.000Z",
      display: "2026-03-10T15:10:00",
      glucose: 6.8,
      unit: "mmol/L",
      mgdl: 123,
      storedGlucose: 123,
      trend: 4,
      trendName: "Flat",
      skip: null,
      outcome: "stored",
      fault: null,
      outcomeAt: "2026-03-10T14:30:01.000Z",
    });
    expect(rows.map((r) => [r["glucose"], r["skip"], r["outcome"]])).toEqual([
      [6.8, null, "stored"],
      [null, "special", "skipped"],
      [2.2, null, "stored"],
      [10, null, "quarantined"],
      [5.5, null, null],
    ]);
  });

  it("CSV with a header; --since leaves earlier readings out; an empty history says so", async () => {
    await archive();
    const csv = await run("--format", "csv", "--since", "2026-03-10T14:25Z");
    expect(csv.stdout).toBe(
      "serial,recordType,index,systemSeconds,utc,display,glucose,unit,mgdl,storedGlucose,trend,trendName,skip,outcome,fault,outcomeAt\n" +
        "SM12345678,4,103,500000900,2026-03-10T14:25:00.000Z,2026-03-10T15:25:00,181,mg/dL,181,181,4,Flat,,quarantined,InvalidArgument,2026-03-10T14:30:01.000Z\n" +
        "SM12345678,4,104,500001200,2026-03-10T14:30:00.000Z,2026-03-10T15:30:00,99,mg/dL,99,99,3,FortyFiveUp,,,,\n",
    );
    const none = await run("--since", "2026-03-11T00:00Z");
    expect(none).toEqual({
      code: 0,
      stdout: "time  mg/dL  trend  Share\n",
      stderr: `no readings in ${join(dir, "state", "archive")} since 2026-03-11T00:00:00.000Z\n`,
    });
  });

  it("refuses a wrong format or unit, naming the option", async () => {
    const format = await run("--format", "xml");
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/^--format must be one of table, json, csv \[USAGE\]/);
    const units = await run("--units", "mmol");
    expect(units.code).toBe(2);
    expect(units.stderr).toMatch(/^--units must be one of mg\/dL, mmol\/L \[USAGE\]/);
  });
});
