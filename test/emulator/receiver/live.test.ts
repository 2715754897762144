/**
 * Live mode on a fake host clock (spec receiver-protocol §7.1): readings arrive every interval while
 * the clocks run; the last page fills and page lastPage + 1 opens with FirstRecordIndex
 * (lastPage + 1) × recordsPerPage; ReadDatabasePageRange reflects it at once. Also erase, wrap and
 * receiver swap as later sync tests need them.
 */
import { afterEach, expect, test } from "vitest";
import {
  createReceiverEmulator,
  type EgvRecord,
  type ReceiverEmulator,
} from "../../../src/emulator/receiver/index.js";
import { decodePageHeader } from "../../../src/wire/page.js";
import { headerRequest, NOW, TestHost } from "./helpers.js";

let emulator: ReceiverEmulator | undefined;
let host: TestHost | undefined;
afterEach(async () => {
  await host?.close();
  await emulator?.close();
  host = undefined;
  emulator = undefined;
});

class FakeClock {
  ms = NOW;
  readonly now = () => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

async function range(h: TestHost, type: number): Promise<{ first: number; last: number }> {
  const view = new DataView((await h.call(0x10, Uint8Array.of(type))).payload.slice().buffer);
  return { first: view.getUint32(0, true), last: view.getUint32(4, true) };
}

async function header(h: TestHost, type: number, page: number) {
  return decodePageHeader((await h.call(0x12, headerRequest(type, page))).payload);
}

async function systemTime(h: TestHost): Promise<number> {
  return new DataView((await h.call(0x22)).payload.slice().buffer).getUint32(0, true);
}

function regularEgvs(emu: ReceiverEmulator): EgvRecord[] {
  return ((emu.model.partitions[4]?.records ?? []) as EgvRecord[]).filter((e) => !e.displayOnly);
}

test("the clocks run from the host clock", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({ seed: 2, days: 1, now: clock.now });
  host = await TestHost.open(emulator.opener());
  const t0 = await systemTime(host);
  clock.advance(3600.5);
  expect(await systemTime(host)).toBe(t0 + 3600);
  expect(emulator.clock.rtc + emulator.clock.systemTimeOffset).toBe(t0 + 3600);
});

test("without live mode the database does not grow", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({ seed: 2, days: 1, now: clock.now });
  const before = regularEgvs(emulator).length;
  clock.advance(3600);
  expect(regularEgvs(emulator).length).toBe(before);
});

test("one reading (EGV + sensor record) per interval, stamped with the running clocks", () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({ seed: 2, days: 1, now: clock.now, live: { intervalSeconds: 2 } });
  const egvs = regularEgvs(emulator).length;
  const sensors = emulator.model.partitions[3]?.records.length ?? 0;
  const system0 = emulator.clock.systemTime;
  clock.advance(20);
  const after = regularEgvs(emulator);
  expect(after.length - egvs).toBe(10);
  expect((emulator.model.partitions[3]?.records.length ?? 0) - sensors).toBe(10);
  const fresh = after.slice(-10);
  expect(fresh.slice(1).map((e, i) => e.systemSeconds - (fresh[i] as EgvRecord).systemSeconds)).toEqual(
    Array(9).fill(2),
  );
  const offset = emulator.clock.displayTimeOffset;
  expect(fresh.map((e) => e.displaySeconds - e.systemSeconds)).toEqual(Array(10).fill(offset));
  expect(fresh.at(-1)?.systemSeconds).toBeLessThanOrEqual(system0 + 20);
  expect(fresh.at(-1)?.systemSeconds).toBeGreaterThan(system0 + 17);
  expect(fresh.every((e) => e.glucose >= 39 && e.glucose <= 401)).toBe(true);
});

test("filling the last page opens page lastPage + 1 with FirstRecordIndex (lastPage + 1) × 38", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({
    profile: "g4",
    seed: 2,
    days: 1,
    now: clock.now,
    live: { intervalSeconds: 2 },
  });
  host = await TestHost.open(emulator.opener());
  const start = await range(host, 4);
  let page = await header(host, 4, start.last);
  expect(page.firstRecordIndex).toBe(start.last * 38);
  let steps = 0;
  while ((await range(host, 4)).last === start.last) {
    const count = page.recordCount;
    clock.advance(2);
    steps++;
    const now = await range(host, 4);
    if (now.last !== start.last) break;
    page = await header(host, 4, start.last);
    expect(page.recordCount).toBeGreaterThan(count);
    expect(steps).toBeLessThan(40);
  }
  const full = await header(host, 4, start.last);
  expect(full.recordCount).toBe(38);
  const opened = await header(host, 4, start.last + 1);
  expect(opened.firstRecordIndex).toBe((start.last + 1) * 38);
  expect(opened.pageNumber).toBe(start.last + 1);
  expect(opened.recordCount).toBeGreaterThanOrEqual(1);
  expect((await range(host, 4)).first).toBe(start.first);
  const last = emulator.model.partitions[4]?.records.at(-1);
  expect(last?.index).toBe((start.last + 1) * 38 + opened.recordCount - 1);
});

test("WriteDisplayTimeOffset: later readings carry the new offset, earlier ones keep theirs", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({ seed: 2, days: 1, now: clock.now, live: { intervalSeconds: 5 } });
  host = await TestHost.open(emulator.opener());
  const before = regularEgvs(emulator).at(-1) as EgvRecord;
  const newOffset = emulator.clock.displayTimeOffset + 3600;
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setInt32(0, newOffset, true);
  expect((await host.call(0x1e, payload)).code).toBe(1);
  clock.advance(10);
  const after = regularEgvs(emulator).slice(-2);
  for (const e of after) expect(e.displaySeconds - e.systemSeconds).toBe(newOffset);
  expect(before.displaySeconds - before.systemSeconds).toBe(newOffset - 3600);
});

test("eraseDatabase: the range empties, then indexes restart at 0", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({ seed: 2, days: 1, now: clock.now, live: { intervalSeconds: 2 } });
  host = await TestHost.open(emulator.opener());
  emulator.eraseDatabase();
  expect(await range(host, 4)).toEqual({ first: 0xffffffff, last: 0xffffffff });
  expect((await range(host, 0)).first).toBe(0); // the manufacturing record survives
  clock.advance(2);
  expect(await range(host, 4)).toEqual({ first: 0, last: 0 });
  const page = await header(host, 4, 0);
  expect(page.firstRecordIndex).toBe(0);
  expect(emulator.model.partitions[4]?.records[0]?.index).toBe(0);
});

test("wrap during live mode: the first page advances as new pages open", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({
    seed: 2,
    days: 1,
    now: clock.now,
    live: { intervalSeconds: 2 },
    maxPages: 3,
  });
  host = await TestHost.open(emulator.opener());
  const start = await range(host, 4);
  expect(start.last - start.first).toBe(2);
  clock.advance(2 * 38 * 2);
  const later = await range(host, 4);
  expect(later.last).toBeGreaterThanOrEqual(start.last + 2);
  expect(later.last - later.first).toBe(2);
});

test("swapReceiver: another serial and database on the same cable; open connections drop", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({ seed: 2, days: 1, now: clock.now });
  host = await TestHost.open(emulator.opener());
  const serial = emulator.serial;
  const pages = emulator.pages(4);
  emulator.swapReceiver({ seed: 3, profile: "g5" });
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(host.closed).toBe(true);
  expect(emulator.serial).not.toBe(serial);
  expect(emulator.profile).toBe("g5");
  expect(emulator.pages(4)).not.toEqual(pages);
  host = await TestHost.open(emulator.opener());
  expect((await host.call(0x0a)).code).toBe(1);
});

test("without live mode, WriteDisplayTimeOffset adds only its settings record, however late", async () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({ seed: 2, days: 1, now: clock.now });
  host = await TestHost.open(emulator.opener());
  const counts = () => Object.values(emulator?.model.partitions ?? {}).map((p) => p.records.length);
  const before = counts();
  clock.advance(6 * 3600);
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setInt32(0, -18_000, true);
  expect((await host.call(0x1e, payload)).code).toBe(1);
  const after = counts();
  const settingsIndex = Object.keys(emulator.model.partitions).indexOf("12");
  expect(after.map((n, i) => n - (before[i] as number))).toEqual(
    after.map((_, i) => (i === settingsIndex ? 1 : 0)),
  );
  expect(emulator.model.partitions[12]?.records.at(-1)).toMatchObject({
    displayTimeOffset: -18_000,
    systemSeconds: emulator.clock.systemTime,
  });
});

test("touchscreen, live: a signal loss leaves a gap in EGV_DATA that type-18 records fill when the signal returns", () => {
  const clock = new FakeClock();
  emulator = createReceiverEmulator({
    profile: "touchscreen",
    seed: 8,
    days: 1,
    now: clock.now,
    live: { intervalSeconds: 300 },
  });
  const liveFrom = emulator.clock.systemTime;
  const backfilledBefore = emulator.model.partitions[18]?.records.length ?? 0;
  // Three days of live readings, looked at every hour as a polling host would.
  for (let hour = 0; hour < 72; hour++) {
    clock.advance(3600);
    void emulator.model;
  }
  const model = emulator.model;
  const egvs = (model.partitions[4]?.records ?? []) as EgvRecord[];
  const live = egvs.filter((e) => e.systemSeconds > liveFrom);
  const backfilled = ((model.partitions[18]?.records ?? []) as EgvRecord[]).slice(backfilledBefore);
  expect(backfilled.length).toBeGreaterThanOrEqual(2);
  const readingTimes = new Set(live.map((e) => e.readingSystemSeconds));
  for (const b of backfilled) {
    expect(b.backfilled).toBe(true);
    // The reading is missing from EGV_DATA; the record was written with the first reading after it.
    expect(readingTimes.has(b.readingSystemSeconds)).toBe(false);
    expect(
      live.some(
        (e) => e.systemSeconds === b.systemSeconds && e.systemSeconds > (b.readingSystemSeconds as number),
      ),
    ).toBe(true);
  }
  // Each backfilled write closes a gap of consecutive live EGVs (more than the 5-minute cadence
  // apart), and fills every missing 5-minute slot of it. (Other gaps are between sensor sessions.)
  const gaps = live.slice(1).flatMap((e, i) => {
    const before = live[i] as EgvRecord;
    return e.systemSeconds - before.systemSeconds > 400 ? [{ from: before, to: e }] : [];
  });
  const writes = [...new Set(backfilled.map((b) => b.systemSeconds))];
  expect(writes.length).toBeGreaterThanOrEqual(2);
  for (const at of writes) {
    const gap = gaps.find((g) => g.to.systemSeconds === at);
    expect(gap, `gap closed at ${at}`).toBeDefined();
    const filled = backfilled
      .filter((b) => b.systemSeconds === at)
      .map((b) => b.readingSystemSeconds as number);
    const from = (gap as { from: EgvRecord }).from.readingSystemSeconds as number;
    const to = (gap as { to: EgvRecord }).to.readingSystemSeconds as number;
    expect(filled.length).toBe(Math.round((to - from) / 300) - 1);
    expect(filled.every((t) => t > from && t < to)).toBe(true);
  }

  // Deterministic by seed, however the host looks: the same records from one jump of three days.
  const again = new FakeClock();
  const twin = createReceiverEmulator({
    profile: "touchscreen",
    seed: 8,
    days: 1,
    now: again.now,
    live: { intervalSeconds: 300 },
  });
  again.advance(72 * 3600);
  expect(twin.model.partitions[18]?.records).toEqual(model.partitions[18]?.records);
  void twin.close();
});
