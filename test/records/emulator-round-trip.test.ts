/**
 * Round trip with the receiver emulator (issue: "for each emulator profile, every page the emulator
 * serves decodes with zero CRC errors and the records equal the emulator's own model").
 *
 * The emulator's model and encoders were written separately from src/records/, with their own field
 * names; `asModel` below renames the decoder's fields to the model's and nothing else, except two
 * documented differences of convention:
 * - `special`: the decoder flags every value below 39 (DESIGN.md §4), the model only codes ≤ 12;
 * - `predictedGlucose`: the decoder gives null for 13 ("no prediction", §5.1), the model keeps 13.
 * The reader part then runs the real link (Receiver over the emulator's in-process transport) and
 * counts what a steady-state read costs.
 */
import { describe, expect, it } from "vitest";
import { createReceiverEmulator, PROFILE_IDS, type ProfileId } from "../../src/emulator/receiver/index.js";
import { ReadDatabasePartitionInfo } from "../../src/receiver/commands.js";
import { Receiver } from "../../src/receiver/receiver.js";
import { IncrementalReader } from "../../src/records/incremental-reader.js";
import { decodePage } from "../../src/records/page.js";
import type { DexcomRecord } from "../../src/records/record-types.js";
import { parseXmlElements } from "../../src/util/xml.js";

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

/** The decoder's record in the emulator model's vocabulary (renames only, plus the two conventions). */
function asModel(r: DexcomRecord, revision: number): Record<string, unknown> {
  const { recordType: _t, ...rest } = r;
  switch (r.kind) {
    case "egv": {
      const {
        glucoseFlags,
        urgentLowSoon,
        predictedGlucose,
        readingSystemSeconds,
        transmitterSeconds,
        filteredRate,
        algorithmState,
        ...egv
      } = rest as typeof r;
      const out: Record<string, unknown> = { ...egv, special: r.glucose <= 12 ? r.glucose : null };
      if (revision >= 4)
        Object.assign(out, { readingSystemSeconds, transmitterSeconds, filteredRate, algorithmState });
      if (revision >= 5) {
        Object.assign(out, {
          computedOnTransmitter: (glucoseFlags & 0x4000) !== 0,
          backfilled: (glucoseFlags & 0x2000) !== 0,
          predictedGlucose: predictedGlucose ?? 13,
          urgentLowSoon,
        });
      }
      return out;
    }
    case "sensor":
      return {
        kind: "sensor",
        index: r.index,
        systemSeconds: r.systemSeconds,
        displaySeconds: r.displaySeconds,
        unfiltered: r.unfiltered,
        filtered: r.filtered,
        rssi: r.rssi,
      };
    case "meter": {
      const { entryType, meterTransmitterSeconds, ...meter } = rest as typeof r;
      return revision >= 3 ? { ...meter, entryType, meterTransmitterSeconds } : meter;
    }
    case "insertion": {
      const { sessionState, sessionNumber, transmitterId, ...insertion } = rest as typeof r;
      return revision >= 2
        ? { ...insertion, state: sessionState, number: sessionNumber, transmitterId }
        : { ...insertion, state: sessionState };
    }
    case "calibration": {
      const { subRecords, extraDoubles, ...cal } = rest as typeof r;
      const out: Record<string, unknown> = {
        ...cal,
        kind: "cal",
        subrecords: subRecords.map(({ sensorCounts, ...s }) => ({ ...s, rawCounts: sensorCounts })),
      };
      if (extraDoubles !== null) out["trailing"] = extraDoubles;
      return out;
    }
    case "event": {
      const { eventDisplaySeconds, ...event } = rest as typeof r;
      return { ...event, eventSeconds: eventDisplaySeconds };
    }
    case "settings": {
      const out: Record<string, unknown> = {
        kind: "settings",
        index: r.index,
        systemSeconds: r.systemSeconds,
        displaySeconds: r.displaySeconds,
        systemTimeOffset: r.systemTimeOffsetSeconds,
        displayTimeOffset: r.displayTimeOffsetSeconds,
        transmitterId: r.transmitterId,
        enableFlags: r.enableFlags,
        highAlarmLevel: r.highAlarmMgdl,
        highAlarmSnooze: r.highAlarmSnoozeMinutes,
        lowAlarmLevel: r.lowAlarmMgdl,
        lowAlarmSnooze: r.lowAlarmSnoozeMinutes,
        riseRate: r.riseRate,
        fallRate: r.fallRate,
        outOfRangeSnooze: r.outOfRangeSnoozeMinutes,
        language: r.language,
        alarmProfile: r.alarmProfile,
        setupState: r.setUpState,
      };
      if (revision === 6) {
        Object.assign(out, {
          urgentLowSoonSnooze: r.urgentLowSoonSnoozeMinutes,
          brightness: r.brightness,
          sensorCode: r.sensorCode,
          graphHeight: r.graphHeight,
        });
      }
      return out;
    }
    case "xml":
      return {
        kind: "xml",
        index: r.index,
        systemSeconds: r.systemSeconds,
        displaySeconds: r.displaySeconds,
        element: r.element,
      };
  }
}

/**
 * The model as the bytes can carry it: XML records hold text (compared as parsed elements), and a
 * model number of −0 (e.g. a filtered rate rounded from a small negative slope) is stored as 0.
 */
function modelForComparison(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = Object.is(value, -0) ? 0 : value;
  if (out["kind"] !== "xml") return out;
  const { xml, ...rest } = out;
  return { ...rest, element: parseXmlElements(String(xml))[0] };
}

describe.each(PROFILE_IDS)("emulator profile %s", (profile: ProfileId) => {
  const emulator = createReceiverEmulator({ profile, seed: 11, days: 30, now: () => NOW });
  const model = emulator.model;
  const partitionInfo = ReadDatabasePartitionInfo.decode(Buffer.from(model.partitionInfo, "latin1"));

  it("every page decodes with zero CRC errors and the records equal the model", () => {
    let pages = 0;
    let records = 0;
    // Partitions without a public layout (6, 8, 9, spec §5.8) decode to no records.
    const unknownLayouts = Object.values(model.partitions).filter((p) => [6, 8, 9].includes(p.recordType));
    expect(unknownLayouts.map((p) => p.recordType)).toEqual([6, 8, 9]);
    for (const partition of Object.values(model.partitions)) {
      const advertised = partitionInfo.partitions.find((p) => p.id === partition.recordType);
      expect(advertised, `type ${partition.recordType} in PartitionInfo`).toBeDefined();
      const decoded: DexcomRecord[] = [];
      for (const page of emulator.pages(partition.recordType)) {
        const result = decodePage(page, { recordType: partition.recordType, partition: advertised });
        // Zero problems, except that partitions without a public layout (6, 8, 9, spec §5.8) are
        // reported as unsupported.
        const unknownLayout = [6, 8, 9].includes(partition.recordType);
        expect(
          result.problems.filter((p) => !unknownLayout || p.code !== "RECORD_UNSUPPORTED_REVISION"),
        ).toEqual([]);
        decoded.push(...result.records);
        pages++;
      }
      const expected = unknownLayouts.includes(partition)
        ? []
        : partition.records.map((r) => modelForComparison({ ...r }));
      expect(
        decoded.map((r) => asModel(r, partition.revision)),
        `type ${partition.recordType}`,
      ).toEqual(expected);
      records += decoded.length;
    }
    expect(pages).toBeGreaterThan(300);
    expect(records).toBeGreaterThan(8000);
  });

  it("the incremental reader over the real link: a full read, then one new reading costs two requests", async () => {
    let now = NOW;
    const live = createReceiverEmulator({
      profile,
      seed: 11,
      days: 2,
      now: () => now,
      live: { intervalSeconds: 300 },
    });
    const receiver = await Receiver.open(live.opener());
    try {
      const reader = new IncrementalReader(receiver);
      const serial = await reader.serial();
      const first = await reader.readNew(4, { expectedSerial: serial });
      expect(first.problems).toEqual([]);
      expect(first.discontinuities).toEqual([]);
      const modelEgvs = live.model.partitions[4]?.records ?? [];
      expect(first.records.map((r) => r.index)).toEqual(modelEgvs.map((r) => r.index));

      now += 300_000; // five minutes later the receiver has written one more reading
      const newest = live.model.partitions[4]?.records.at(-1);
      const requestsBefore = receiver.stats.requests;
      const next = await reader.readNew(4, {
        cursor: {
          lastIndex: first.newestIndex ?? -1,
          lastSystemSeconds: first.records.at(-1)?.systemSeconds,
        },
        expectedSerial: serial,
      });
      expect(receiver.stats.requests - requestsBefore).toBe(2);
      expect(next.discontinuities).toEqual([]);
      expect(next.records).toHaveLength(1);
      expect(next.records[0]?.index).toBe(newest?.index);
      expect(next.records[0]?.systemSeconds).toBe(newest?.systemSeconds);
    } finally {
      await receiver.close();
      await live.close();
    }
  });
});

describe("discontinuities produced by the emulator", () => {
  async function withReader(
    emulator: ReturnType<typeof createReceiverEmulator>,
    use: (reader: IncrementalReader) => Promise<void>,
  ): Promise<void> {
    const receiver = await Receiver.open(emulator.opener());
    try {
      await use(new IncrementalReader(receiver));
    } finally {
      await receiver.close();
    }
  }

  it("storage wrap: records lost before they were read are reported", async () => {
    const emulator = createReceiverEmulator({ profile: "g4", seed: 3, days: 3, now: () => NOW });
    try {
      const oldestBefore = emulator.model.partitions[4]?.records[0]?.index ?? 0;
      emulator.dropOldestPages(4, 2);
      await withReader(emulator, async (reader) => {
        const result = await reader.readNew(4, { cursor: { lastIndex: oldestBefore + 5 } });
        const firstPage = result.range?.firstPage ?? 0;
        expect(result.discontinuities).toEqual([
          { kind: "lost-to-wrap", firstLostIndex: oldestBefore + 6, lastLostIndex: firstPage * 38 - 1 },
        ]);
        expect(result.records[0]?.index).toBe(firstPage * 38);
      });
    } finally {
      await emulator.close();
    }
  });

  it("an erased database is reported and read from its new start", async () => {
    let now = NOW;
    const emulator = createReceiverEmulator({
      profile: "g5",
      seed: 3,
      days: 1,
      now: () => now,
      live: { intervalSeconds: 300 },
    });
    try {
      const newest = emulator.model.partitions[4]?.records.at(-1);
      emulator.eraseDatabase();
      now += 3 * 300_000;
      const after = emulator.model.partitions[4]?.records ?? [];
      await withReader(emulator, async (reader) => {
        const result = await reader.readNew(4, {
          cursor: { lastIndex: newest?.index ?? 0, lastSystemSeconds: newest?.systemSeconds },
        });
        expect(result.discontinuities).toMatchObject([{ kind: "erased", cursorIndex: newest?.index }]);
        expect(result.records.map((r) => r.index)).toEqual(after.map((r) => r.index));
      });
    } finally {
      await emulator.close();
    }
  });

  it("a swapped receiver is reported by its serial", async () => {
    const emulator = createReceiverEmulator({ profile: "g4", seed: 3, days: 1, now: () => NOW });
    try {
      const serial = emulator.serial;
      const newest = emulator.model.partitions[4]?.records.at(-1)?.index ?? 0;
      emulator.swapReceiver({ seed: 4, serial: "SM00000042" });
      await withReader(emulator, async (reader) => {
        const result = await reader.readNew(4, {
          cursor: { lastIndex: newest },
          expectedSerial: serial,
          backfillLimit: 12,
        });
        expect(result.discontinuities).toEqual([
          { kind: "receiver-changed", expectedSerial: serial, actualSerial: "SM00000042" },
        ]);
        expect(result.records).toHaveLength(12);
      });
    } finally {
      await emulator.close();
    }
  });
});
