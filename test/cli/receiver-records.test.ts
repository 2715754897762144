// `receiver records`: rows with true times, --since, CSV, and the unsynchronised-clock flag, over a
// fake ReceiverApi (no port needed).
import { describe, expect, it } from "vitest";
import { csvLines, exportRecords, jsonLine } from "../../src/cli/receiver-records.js";
import { createReceiverEmulator } from "../../src/emulator/receiver/index.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import type { TrueClock } from "../../src/time/reference-clock.js";
import { FakeReceiver, pageMap } from "../records/support/fake-receiver.js";
import { egvG4, egvG4Pages, page, record } from "../records/support/page-builder.js";
import { cli } from "../support/cli.js";
import { FAKE_EPOCH_MS } from "../support/manual-time.js";

const HOST: TrueClock = { kind: "host", source: "host (test)", correctionMs: 0, synchronised: true };
const START = 200_000_000;

function fakeWithEgvs(lastIndex: number, hostOffsetSeconds: number): FakeReceiver {
  const fake = new FakeReceiver();
  fake.addPartition(4, { revision: 2, recordLength: 13, pages: pageMap(0, egvG4Pages(0, lastIndex, START)) });
  // The fake stamps its replies with the host clock: shift the receiver's clock to get a known offset.
  fake.systemSeconds = Math.round((FAKE_EPOCH_MS - RECEIVER_EPOCH_MS) / 1000) - hostOffsetSeconds;
  return fake;
}

describe("receiver records export", () => {
  it("EGV rows carry the issue's fields and utc from the clock model", async () => {
    const fake = fakeWithEgvs(5, 0);
    const exported = await exportRecords(fake, 4, HOST);
    expect(exported.synchronised).toBe(true);
    expect(exported.rows).toHaveLength(6);
    const row = exported.rows[0] ?? {};
    for (const key of [
      "index",
      "systemSeconds",
      "displaySeconds",
      "glucose",
      "displayOnly",
      "special",
      "trend",
      "noise",
      "utc",
    ]) {
      expect(row).toHaveProperty(key);
    }
    // offset = host − receiver system clock; utc = epoch + systemSeconds + offset.
    const offset = Math.round((FAKE_EPOCH_MS - RECEIVER_EPOCH_MS) / 1000) - fake.systemSeconds;
    const expected = RECEIVER_EPOCH_MS + (START + offset) * 1000;
    expect(Math.abs(Date.parse(String(row["utc"])) - expected)).toBeLessThanOrEqual(1000);
  });

  it("EGV rows show the stored value and trend beside what Share would get (share-api §18.1, §18.4)", async () => {
    const fake = new FakeReceiver();
    const stored = [
      { glucose: 12, trend: 4 }, // special code: never posted
      { glucose: 30, trend: 8 }, // LOW: 39, trend 8 posted as 0
      { glucose: 120, trend: 3 },
      { glucose: 120, trend: 3, displayOnly: true }, // display-only: never posted
      { glucose: 450, trend: 9 }, // HIGH: 401, trend 9 posted as 0
      { glucose: 1023, trend: 5 }, // erased flash: never posted
    ];
    const records = stored.map((f, i) =>
      egvG4({ systemSeconds: START + i * 300, displaySeconds: START + i * 300 - 18_000, ...f }),
    );
    fake.addPartition(4, {
      revision: 2,
      recordLength: 13,
      pages: pageMap(0, [page({ recordType: 4, revision: 2, pageNumber: 0, perPage: 38, records })]),
    });
    fake.systemSeconds = Math.round((FAKE_EPOCH_MS - RECEIVER_EPOCH_MS) / 1000);
    const rows = (await exportRecords(fake, 4, HOST)).rows;
    expect(rows.map((r) => [r["glucose"], r["trend"], r["shareGlucose"], r["shareTrend"]])).toEqual([
      [12, 4, null, null],
      [30, 8, 39, 0],
      [120, 3, 120, 3],
      [120, 3, null, null],
      [450, 9, 401, 0],
      [1023, 5, null, null],
    ]);
  });

  it("--since keeps rows at or after the instant", async () => {
    const fake = fakeWithEgvs(9, 0);
    const all = await exportRecords(fake, 4, HOST);
    const cut = Date.parse(String(all.rows[6]?.["utc"]));
    const since = await exportRecords(fake, 4, HOST, cut);
    expect(since.rows.map((r) => r["index"])).toEqual([6, 7, 8, 9]);
  });

  it("marks rows from an unsynchronised host instead of refusing", async () => {
    const fake = fakeWithEgvs(1, 0);
    const exported = await exportRecords(fake, 4, {
      ...HOST,
      kind: "unsynchronised-host",
      synchronised: false,
    });
    expect(exported.synchronised).toBe(false);
    expect(exported.rows.every((r) => r["utcSynchronised"] === false)).toBe(true);
  });

  it("user events get eventUtc from the display-clock event time", async () => {
    const fake = fakeWithEgvs(0, 0);
    const event = record(20, (b) => {
      b.writeUInt32LE(START + 1000, 0);
      b.writeUInt32LE(START + 1000 - 18_000, 4); // display 5 h behind system
      b.writeUInt8(1, 8);
      b.writeUInt32LE(START + 400 - 18_000, 10); // entered for 600 s before the record was written
      b.writeUInt32LE(45, 14);
    });
    fake.addPartition(11, {
      revision: 1,
      recordLength: 20,
      pages: pageMap(0, [
        page({ recordType: 11, revision: 1, pageNumber: 0, perPage: 25, records: [event] }),
      ]),
    });
    const [row] = (await exportRecords(fake, 11, HOST)).rows;
    expect(Date.parse(String(row?.["utc"])) - Date.parse(String(row?.["eventUtc"]))).toBe(600_000);
    expect(row).toMatchObject({ eventType: 1, value: 45 });
  });

  it("formats JSON lines and CSV with a header", () => {
    const rows = [
      { index: 1, note: "a,b", list: [1, 2], none: null },
      { index: 2, note: 'say "x"', list: [], none: null },
    ];
    expect(jsonLine(rows[0] ?? {})).toBe('{"index":1,"note":"a,b","list":[1,2],"none":null}\n');
    expect(csvLines(rows)).toEqual(["index,note,list,none\n", '1,"a,b","[1,2]",\n', '2,"say ""x""",[],\n']);
    expect(csvLines([])).toEqual([]);
  });
});

describe("receiver records command line", () => {
  it("is listed and validates its options before opening the receiver", async () => {
    expect((await cli(["--help"])).stdout).toContain("receiver records");
    const badType = await cli(["receiver", "records", "--type", "manufacturing"]);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain(
      "--type must be one of egv|backfill|sensor|meter|cal|insertion|events|settings",
    );
    const badSince = await cli(["receiver", "records", "--type", "egv", "--since", "yesterday"]);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain("--since must be an ISO date");
    const badFormat = await cli(["receiver", "records", "--type", "egv", "--format", "xml"]);
    expect(badFormat.code).toBe(2);
  });
});

describe("receiver records against the receiver emulator over TCP", () => {
  it("--type backfill on a G4, which has no such partition: says so plainly, exit 3, nothing on stdout", async () => {
    const emulator = createReceiverEmulator({ profile: "g4", seed: 2, days: 1 });
    const { port } = await emulator.listenTcp("127.0.0.1", 0);
    try {
      const result = await cli([
        "receiver",
        "records",
        "--type",
        "backfill",
        "--device",
        `tcp://127.0.0.1:${port}`,
      ]);
      expect(result.code).toBe(3);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("this receiver has no BACKFILLED_EGV_DATA partition");
      expect(result.stderr).toContain("[PARTITION_NOT_FOUND]");
    } finally {
      await emulator.close();
    }
  });

  it("prints every EGV of the partition as JSON lines, and CSV with a header", async () => {
    const emulator = createReceiverEmulator({ profile: "touchscreen", seed: 2, days: 1 });
    const { port } = await emulator.listenTcp("127.0.0.1", 0);
    try {
      const device = `tcp://127.0.0.1:${port}`;
      const json = await cli(["receiver", "records", "--type", "egv", "--device", device]);
      expect(json.code).toBe(0);
      const rows = json.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const model = emulator.model.partitions[4]?.records ?? [];
      expect(rows.map((r) => r["index"])).toEqual(model.map((r) => r.index));
      expect(rows.map((r) => r["glucose"])).toEqual(model.map((r) => (r.kind === "egv" ? r.glucose : -1)));
      const synchronised = rows[0]?.["utcSynchronised"] === true;
      expect(json.stderr.includes("host clock is not synchronised")).toBe(!synchronised);
      // The emulator runs its receiver clock from the host clock: the newest reading is recent.
      const newest = Date.parse(String(rows.at(-1)?.["utc"]));
      expect(Math.abs(Date.now() - newest)).toBeLessThan(10 * 60_000);

      const csv = await cli(["receiver", "records", "--type", "egv", "--format", "csv", "--device", device]);
      const lines = csv.stdout.trim().split("\n");
      expect(lines[0]?.split(",").slice(0, 4)).toEqual(["kind", "recordType", "index", "systemSeconds"]);
      expect(lines).toHaveLength(rows.length + 1);
    } finally {
      await emulator.close();
    }
  });
});
