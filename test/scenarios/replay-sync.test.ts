/**
 * Real G4 pages through `sharebridge sync` into the strict Share emulator (issue 10, share-api §18):
 * the receiver emulator replays the five real pages of test/fixtures/receiver/ (EGV page 312, the
 * manufacturing record that gives the serial, a sensor page and two calibration pages) and continues
 * their history with twelve generated hours salted with what Share must never see as stored: trends 8
 * and 9, LOW (20–38) and HIGH (402–1022) values, special codes and one record whose display time lies
 * beyond 2100. Share refuses one real reading (its `refuse` knob), which goes to quarantine.
 *
 * Every expectation is derived here from the spec, not from src/: the fixture page's records are
 * sliced from its bytes (receiver-protocol §5.1, 13-byte revision 2), the generated ones come from the
 * emulator's model, and the rules are share-api §18.1 (trend 0..7, else 0) and §18.4 (0–19 never,
 * 20–38 as 39, 402–1022 as 401), plus "a time beyond 2100 is never posted".
 */

import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import {
  createReceiverEmulator,
  type EgvRecord,
  type ReceiverEmulator,
} from "../../src/emulator/receiver/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { FIXTURE_PAGES, fixturePage } from "../records/support/fixtures.js";
import { accountArgs, cli } from "../support/cli.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";

const NOW = TEST_EPOCH_MS;
const clock = { now: () => NOW };
const USER = "wearer";
const PASSWORD = "pw-for-tests";
/** 2009-01-01T00:00:00Z, the receiver's epoch (receiver-protocol §6.1). */
const RECEIVER_EPOCH_MS = Date.UTC(2009, 0, 1);
const YEAR_2100_MS = Date.UTC(2100, 0, 1);
const FIXTURE_DIR = fileURLToPath(new URL("../fixtures/receiver/", import.meta.url));

/** One EGV record as the test sees it, from the fixture's bytes or the emulator's model. */
interface Egv {
  readonly index: number;
  readonly systemSeconds: number;
  readonly displaySeconds: number;
  readonly glucose: number;
  readonly displayOnly: boolean;
  readonly trend: number;
}

/** EGV page 312 sliced per §4.3 and §5.1 rev 2: u32 system, u32 display, u16 glucose word, u8 trend. */
function fixtureEgvs(): Egv[] {
  const page = Buffer.from(fixturePage("ecc1-page-4.312.hex"));
  const first = page.readUInt32LE(0);
  const out: Egv[] = [];
  for (let k = 0; k < page.readUInt32LE(4); k++) {
    const r = page.subarray(28 + 13 * k, 28 + 13 * (k + 1));
    const word = r.readUInt16LE(8);
    out.push({
      index: first + k,
      systemSeconds: r.readUInt32LE(0),
      displaySeconds: r.readUInt32LE(4),
      glucose: word & 0x3ff,
      displayOnly: (word & 0x8000) !== 0,
      trend: r.readUInt8(10) & 0x0f,
    });
  }
  return out;
}

type Fate =
  | { readonly post: readonly [value: number, trend: number] }
  | { readonly skip: "display-only" | "special" | "unrepresentable-time" };

/** What Share must get of a record (share-api §18.1, §18.4; a time beyond 2100 is not a reading's). */
function fate(egv: Egv): Fate {
  if (egv.displayOnly) return { skip: "display-only" };
  if (egv.glucose < 20 || egv.glucose === 1023) return { skip: "special" };
  if (RECEIVER_EPOCH_MS + egv.displaySeconds * 1000 >= YEAR_2100_MS) return { skip: "unrepresentable-time" };
  const value = egv.glucose < 39 ? 39 : egv.glucose > 401 ? 401 : egv.glucose;
  return { post: [value, egv.trend <= 7 ? egv.trend : 0] };
}

let dir: string;
let receiver: ReceiverEmulator;
let share: ShareEmulator;
let args: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-replay-"));
  await writeFile(join(dir, "password"), `${PASSWORD}\n`);
  // The five pages, concatenated as `receiver dump --format hex` would print them.
  const replay = FIXTURE_PAGES.map((name) => readFileSync(FIXTURE_DIR + name, "utf8")).join("");
  receiver = createReceiverEmulator({
    profile: "g4",
    seed: 1,
    days: 0.5,
    replay,
    salt: true,
    now: clock.now,
  });
  const listener = await receiver.listenTcp("127.0.0.1", 0);
  share = await startShareEmulator({ accounts: [{ name: USER, password: PASSWORD }], now: clock.now });
  args = accountArgs({
    device: `tcp://127.0.0.1:${listener.port}`,
    server: share.url("us"),
    username: USER,
    passwordFile: join(dir, "password"),
    stateDir: join(dir, "state"),
  });
});

afterEach(async () => {
  await share.close();
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

describe("real G4 pages and a salted history through sync into the strict Share emulator", () => {
  it("every postable reading stored once with its value and trend; the refused one quarantined, the skipped ones counted", async () => {
    const fixture = fixtureEgvs();
    const generated = (receiver.model.partitions[4]?.records ?? []) as EgvRecord[];
    const all: Egv[] = [...fixture, ...generated];
    // One history: the generated records continue the page's indexes and its time.
    expect(generated[0]?.index).toBe(11_856 + 23);
    expect(all.map((e) => e.index)).toEqual(all.map((_, i) => 11_856 + i));
    expect(receiver.serial).toBe("SM44792675");

    const fates = all.map((egv) => ({ egv, fate: fate(egv) }));
    const postable = fates.flatMap(({ egv, fate: f }) => ("post" in f ? [{ egv, value: f.post }] : []));
    const skipped = (reason: string) =>
      fates.filter(({ fate: f }) => "skip" in f && f.skip === reason).length;
    // The salt is there: trends 8 and 9, LOW and HIGH, special codes, the damaged display time.
    expect(generated.some((e) => e.trend === 8 && !e.displayOnly && e.glucose >= 20)).toBe(true);
    expect(generated.some((e) => e.trend === 9)).toBe(true);
    expect(generated.some((e) => e.glucose >= 20 && e.glucose <= 38)).toBe(true);
    expect(generated.some((e) => e.glucose >= 402 && e.glucose <= 1022)).toBe(true);
    expect(skipped("special")).toBeGreaterThanOrEqual(5);
    expect(skipped("unrepresentable-time")).toBe(1);

    // Share refuses one real reading of the fixture page: a value no other postable reading has.
    const counts = new Map<number, number>();
    for (const p of postable) counts.set(p.value[0], (counts.get(p.value[0]) ?? 0) + 1);
    const refused = postable.find((p) => p.egv.index < 11_879 && counts.get(p.value[0]) === 1);
    expect(refused).toBeDefined();
    const refusedValue = refused?.value[0] as number;
    share.setKnobs({ faults: { refuse: { values: [refusedValue], stMs: [] } } });

    const run = await cli(["sync", ...args], undefined, { clock });
    expect(run.code).toBe(EXIT.OK);
    const state = JSON.parse(await readFile(join(dir, "state", "state.json"), "utf8"));
    const offset = state.receivers.SM44792675.heldOffset.offsetSeconds as number;
    const st = (egv: Egv) => RECEIVER_EPOCH_MS + (egv.systemSeconds + offset) * 1000;

    // Every postable reading but the refused one is on Share, once, with its value and trend.
    const want = postable
      .filter((p) => p !== refused)
      .map((p) => [st(p.egv), ...p.value])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    const onShare = share
      .account(USER)
      .egvs.map((e) => [e.stMs, e.value, e.trend])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(onShare).toEqual(want);
    expect(new Set(share.account(USER).egvs.map((e) => e.sn))).toEqual(new Set(["SM44792675"]));

    // The summary says what was read, posted, skipped and quarantined.
    expect(run.stderr).toContain(`receiver SM44792675: ${all.length} new records, 5 pages read`);
    expect(run.stderr).toContain(`posted ${want.length} readings in `);
    const notPosted = [
      `${skipped("display-only")} display-only`,
      `${skipped("special")} special`,
      "1 unrepresentable-time",
    ];
    expect(run.stderr).toContain(`not posted: ${notPosted.join(", ")}\n`);
    expect(run.stderr).toContain("quarantined: 1 reading Share keeps refusing (tried again daily)");

    // Nothing lost: the refused reading is in quarantine, in the state file, with Share's fault.
    const share0 = state.receivers.SM44792675.sinks.share;
    expect(share0.cursors.egv.lastIndex).toBe(all.at(-1)?.index);
    expect(share0.notes.quarantine).toEqual([
      expect.objectContaining({
        recordType: 4,
        index: refused?.egv.index,
        fault: "InvalidArgument",
        egv: expect.objectContaining({ glucose: refusedValue, stSeconds: st(refused?.egv as Egv) / 1000 }),
      }),
    ]);
    const status = await cli(["status", "--json", ...args], undefined, { clock });
    expect(JSON.parse(status.stdout).quarantined).toEqual([
      expect.objectContaining({ glucose: refusedValue, fault: "InvalidArgument" }),
    ]);

    // Once: a second run posts nothing, and the quarantined reading waits for its daily retry.
    share.clearRequests();
    const again = await cli(["sync", ...args], undefined, { clock });
    expect(again.code).toBe(EXIT.OK);
    expect(again.stderr).toContain("posted 0 readings");
    expect(share.count("Publisher/PostReceiverEgvRecords")).toBe(0);
    expect(share.account(USER).egvs).toHaveLength(want.length);
  });
});
