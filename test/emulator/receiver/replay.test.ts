/**
 * Replay (src/emulator/receiver/replay.ts): an emulated receiver that starts from real pages, served
 * byte for byte, with its generated history continuing the indexes and the time after them; and
 * `emulate receiver --replay FILE`, whose pages `receiver dump --format hex` prints back unchanged.
 * Salt (salt.ts): the generated readings carry the cases a client must map or skip.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/index.js";
import {
  createReceiverEmulator,
  type EgvRecord,
  type ReceiverEmulator,
} from "../../../src/emulator/receiver/index.js";
import { parseReplay } from "../../../src/emulator/receiver/replay.js";
import { SALT_EVERY_READINGS } from "../../../src/emulator/receiver/salt.js";
import { FIXTURE_PAGES, fixturePage } from "../../records/support/fixtures.js";
import { cli } from "../../support/cli.js";
import { toHex } from "../../support/hex.js";
import { NOW } from "./helpers.js";

const FIXTURE_DIR = new URL("../../fixtures/receiver/", import.meta.url);
const fixtureText = (name: string) => readFile(new URL(name, FIXTURE_DIR), "utf8");
const allFixtures = async () => (await Promise.all(FIXTURE_PAGES.map(fixtureText))).join("");

let emulator: ReceiverEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe("parsing a replay", () => {
  it("takes dump lines in any order, comments and blank lines aside, grouped by type and sorted", async () => {
    const text = `# two partitions, out of order\n\n${await fixtureText("ecc1-page-5.1432.hex")}${await fixtureText("ecc1-page-4.312.hex")}${await fixtureText("ecc1-page-5.252.hex")}`;
    const replay = parseReplay(text);
    expect([...replay.keys()].sort()).toEqual([4, 5]);
    expect(replay.get(5)?.map((p) => toHex(p))).toEqual([
      toHex(fixturePage("ecc1-page-5.252.hex")),
      toHex(fixturePage("ecc1-page-5.1432.hex")),
    ]);
  });

  it.each([
    ["", "the replay holds no page"],
    ["# only a comment\n", "the replay holds no page"],
    ["00 11 2", "replay line 1: not hex pairs (a page as `receiver dump --format hex` prints it)"],
    ["00 11 22\n", "replay line 1: a page is 528 bytes, this line has 3"],
  ])("refuses %j: %s", (text, detail) => {
    expect(() => parseReplay(text)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", detail }));
  });

  it("refuses a page whose header CRC fails, and a page given twice, naming the line", async () => {
    const page = fixturePage("ecc1-page-4.312.hex");
    page[4] = 0x18;
    expect(() => parseReplay(`\n${toHex(page)}\n`)).toThrow(
      expect.objectContaining({ detail: "replay line 2: the page header's CRC does not hold" }),
    );
    const twice = `${await fixtureText("ecc1-page-4.312.hex")}${await fixtureText("ecc1-page-4.312.hex")}`;
    expect(() => parseReplay(twice)).toThrow(
      expect.objectContaining({ detail: "replay line 2: page 312 of EGV_DATA appears twice" }),
    );
  });

  it("refuses pages of a partition the profile lacks, and a serial that contradicts the replayed one", async () => {
    const text = await allFixtures();
    const page = fixturePage("ecc1-page-4.312.hex");
    // The same page relabelled as type 18 (header CRC rewritten): a G4 has no such partition.
    page[8] = 18;
    const { writeTrailingCrc } = await import("../../../src/wire/crc16.js");
    writeTrailingCrc(page, 0, 26);
    expect(() => createReceiverEmulator({ replay: toHex(page), now: () => NOW })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", context: { recordType: 18, profile: "g4" } }),
    );
    expect(() => createReceiverEmulator({ replay: text, serial: "SM00000001", now: () => NOW })).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        context: { serial: "SM00000001", replayed: "SM44792675" },
      }),
    );
  });
});

describe("a replayed receiver", () => {
  it("serves the replayed pages byte for byte; the serial is the manufacturing record's", async () => {
    emulator = createReceiverEmulator({ replay: await allFixtures(), days: 0, now: () => NOW });
    expect(emulator.serial).toBe("SM44792675");
    expect(emulator.pages(0).map((p) => toHex(p))).toEqual([toHex(fixturePage("ecc1-page-0.0.hex"))]);
    expect(emulator.pages(3).map((p) => toHex(p))).toEqual([toHex(fixturePage("ecc1-page-3.469.hex"))]);
    expect(emulator.pages(4).map((p) => toHex(p))).toEqual([toHex(fixturePage("ecc1-page-4.312.hex"))]);
    // Two calibration pages far apart: the pages between read as erased flash.
    const cal = emulator.pages(5);
    expect(cal).toHaveLength(1432 - 252 + 1);
    expect(toHex(cal[0] as Uint8Array)).toBe(toHex(fixturePage("ecc1-page-5.252.hex")));
    expect(toHex(cal.at(-1) as Uint8Array)).toBe(toHex(fixturePage("ecc1-page-5.1432.hex")));
    expect((cal[1] as Uint8Array).every((b) => b === 0xff)).toBe(true);
    expect(emulator.model.partitions[4]?.records).toEqual([]);
  });

  it("continues the history: indexes after the page's 23 records, times one interval after its newest", async () => {
    emulator = createReceiverEmulator({ replay: await allFixtures(), days: 0.5, seed: 4, now: () => NOW });
    const generated = (emulator.model.partitions[4]?.records ?? []) as EgvRecord[];
    // Page 312 holds indexes 11856–11878 (38 per page): the history fills it up, then pages 313…
    expect(generated[0]?.index).toBe(11_879);
    expect(generated.map((r) => r.index)).toEqual(generated.map((_, i) => 11_879 + i));
    const page312 = Buffer.from(emulator.pages(4)[0] as Uint8Array);
    const fixture = Buffer.from(fixturePage("ecc1-page-4.312.hex"));
    expect(page312.readUInt32LE(4)).toBe(38);
    // The 23 real records are still there, byte for byte, before the generated ones.
    expect(page312.subarray(28, 28 + 23 * 13)).toEqual(fixture.subarray(28, 28 + 23 * 13));
    const newestReal = fixture.readUInt32LE(28 + 22 * 13);
    expect(generated[0]?.systemSeconds).toBeGreaterThanOrEqual(newestReal + 300);
    expect(generated[0]?.systemSeconds).toBeLessThan(newestReal + 600);
    // The receiver's clock runs on from there: twelve hours of history later it reads about now.
    expect(emulator.clock.systemTime - newestReal).toBe(300 + 12 * 3600);
  });

  it("a full page or another revision is not continued: the history starts on the next page", async () => {
    emulator = createReceiverEmulator({
      replay: await fixtureText("ecc1-page-5.1432.hex"),
      profile: "g4",
      days: 3,
      seed: 2,
      now: () => NOW,
    });
    // Page 1432 is CAL_SET revision 3; the G4 writes revision 2 (148 bytes, 3 per page).
    const cal = emulator.model.partitions[5];
    expect(cal?.records[0]?.index).toBe(1433 * 3);
    expect(cal?.range?.firstPage).toBe(1432);
  });
});

describe("a salted history", () => {
  it("every 5th regular reading is salted, in turn: trend 8, trend 9, LOW, HIGH, special, display beyond 2100 (once)", () => {
    emulator = createReceiverEmulator({ profile: "g4", seed: 7, days: 2, salt: true, now: () => NOW });
    const salted = (emulator.model.partitions[4]?.records ?? []) as EgvRecord[];
    const plain = createReceiverEmulator({ profile: "g4", seed: 7, days: 2, now: () => NOW });
    const unsalted = (plain.model.partitions[4]?.records ?? []) as EgvRecord[];
    void plain.close();
    expect(salted).toHaveLength(unsalted.length);
    const regular = unsalted.flatMap((e, i) => (e.displayOnly || e.special !== null ? [] : [i]));
    const cases: string[] = [];
    for (const [n, i] of regular.entries()) {
      const e = salted[i] as EgvRecord;
      const u = unsalted[i] as EgvRecord;
      if ((n + 1) % SALT_EVERY_READINGS !== 0) {
        // Not salted: the same value and times (its trend may differ: it is computed from the
        // stored readings around it, salted ones included, as the receiver computes it).
        expect([e.glucose, e.displaySeconds]).toEqual([u.glucose, u.displaySeconds]);
        continue;
      }
      if (e.displaySeconds !== u.displaySeconds) cases.push(`display ${e.displaySeconds}`);
      else if (e.special !== null)
        cases.push(e.special === e.glucose && e.glucose < 20 ? "special" : "bad special");
      else if (e.glucose !== u.glucose)
        cases.push(
          e.glucose >= 20 && e.glucose <= 38
            ? "low"
            : e.glucose >= 402 && e.glucose <= 1022
              ? "high"
              : "bad value",
        );
      else cases.push(`trend ${e.trend}`);
    }
    const cycle = ["trend 8", "trend 9", "low", "high", "special"];
    expect(cases).toEqual([
      ...cycle,
      `display ${0xf0000000}`,
      ...Array.from({ length: cases.length - 6 }, (_, k) => cycle[k % 5]),
    ]);
    expect(cases.length).toBeGreaterThan(100);
  });

  it("is the same for the same seed however a live receiver is polled", () => {
    const options = { seed: 9, days: 1, salt: true, live: { intervalSeconds: 300 } } as const;
    const hourly = { ms: NOW };
    emulator = createReceiverEmulator({ ...options, now: () => hourly.ms });
    for (let hour = 0; hour < 24; hour++) {
      hourly.ms += 3_600_000;
      void emulator.model;
    }
    const once = { ms: NOW };
    const twin = createReceiverEmulator({ ...options, now: () => once.ms });
    once.ms += 24 * 3_600_000;
    const records = twin.model.partitions[4]?.records;
    void twin.close();
    expect(emulator.model.partitions[4]?.records).toEqual(records);
    // Two days of readings, salted all along: HIGH values among them, history and live alike.
    const high = (records ?? []).filter((r) => r.kind === "egv" && r.glucose > 401 && r.glucose < 1023);
    expect(high.length).toBeGreaterThanOrEqual(10);
  });
});

describe("emulate receiver --replay FILE", () => {
  it("serves the file's pages; receiver dump --format hex prints them back unchanged", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sharebridge-replay-cli-"));
    const controller = new AbortController();
    let served: Promise<number> | undefined;
    try {
      const file = join(dir, "dump.hex");
      await writeFile(file, await allFixtures());
      const out = new PassThrough();
      let printed = "";
      out.on("data", (chunk: Buffer) => {
        printed += chunk.toString();
      });
      served = runCli(
        [
          "emulate",
          "receiver",
          "--listen",
          "127.0.0.1:0",
          "--replay",
          file,
          "--days",
          "0",
          "--log-level",
          "silent",
        ],
        { stdout: out, stderr: new PassThrough(), signal: controller.signal },
      );
      let port: string | undefined;
      for (let i = 0; i < 500 && port === undefined; i++) {
        port = /listening tcp:\/\/127\.0\.0\.1:(\d+)/.exec(printed)?.[1];
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const device = `tcp://127.0.0.1:${port}`;
      for (const [type, name] of [
        ["egv", "ecc1-page-4.312.hex"],
        ["sensor", "ecc1-page-3.469.hex"],
        ["manufacturing", "ecc1-page-0.0.hex"],
      ] as const) {
        const dump = await cli(["receiver", "dump", "--type", type, "--format", "hex", "--device", device]);
        expect([type, dump.code]).toEqual([type, 0]);
        expect(dump.stdout).toBe(await fixtureText(name));
      }
      const bad = await cli([
        "emulate",
        "receiver",
        "--listen",
        "127.0.0.1:0",
        "--replay",
        join(dir, "none.hex"),
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("cannot read the replay");
    } finally {
      controller.abort();
      await served;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
