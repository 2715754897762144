/**
 * What acknowledges a post (share-api §18.5, §18.6), against the strict emulator: an empty 200, JSON
 * null or whitespace stores a batch; a 200 carrying the error envelope or any other body
 * acknowledges nothing; DuplicateEgvPosted is a success; FutureEgvPosted acknowledges only the
 * readings the server did not call future. Trends 8 and 9 reach the strict emulator as 0 (§18.1).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { planBatches, type ShareEgv } from "../../src/share/egv.js";
import { classifyShareFailure } from "../../src/share/failure-class.js";
import type { BatchAck } from "../../src/share/publisher.js";
import { failure } from "./support/failure.js";
import { clientFor, emulatorWithWearer, OP, readings, SERIAL, USER } from "./support/share-fixtures.js";

const T = Date.UTC(2026, 6, 14, 21, 30, 0);
const END = T / 1000;

function onlyBatch(egvs: readonly ShareEgv[]) {
  const [batch, ...rest] = planBatches(egvs);
  if (batch === undefined || rest.length > 0) throw new Error("expected exactly one batch");
  return batch;
}

describe("acknowledgements", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  const connect = async (knobs: Parameters<typeof emulatorWithWearer>[0] = {}) => {
    emulator = await emulatorWithWearer({ now: () => T, ...knobs });
    client = clientFor(emulator, {}, { clock: { now: () => T } });
  };

  it("trends 8 and 9 (and any other) are posted as 0 and stored by the strict emulator", async () => {
    await connect();
    const egvs = [1, 7, 8, 9, 12].map((trend, i) => ({ ...readings(5, END)[i], trend }) as ShareEgv);
    expect(await client.postBatch(SERIAL, onlyBatch(egvs))).toMatchObject({ kind: "stored" });
    expect(emulator.account(USER).egvs.map((e) => e.trend)).toEqual([1, 7, 0, 0, 0]);
  });

  it.each([
    ["an empty body", null, "stored"],
    ["whitespace", "  \n ", "stored"],
    ["JSON null", "null", "stored"],
  ] as const)("a 200 with %s stores the batch", async (_title, body, kind) => {
    await connect({ knobs: { faults: { voidSuccessBody: body } } });
    expect((await client.postBatch(SERIAL, onlyBatch(readings(3, END)))).kind).toBe(kind);
  });

  it.each([
    ['"OK"', "string"],
    ["true", "boolean"],
    ['{"Stored":3}', "object"],
  ])(
    "a 200 with the body %s acknowledges nothing: SHARE_PROTOCOL, transient, no onBatch",
    async (body, type) => {
      await connect({ knobs: { faults: { voidSuccessBody: body } } });
      // Readiness first (Start answers the void body too, which it may): then the post alone.
      emulator.setKnobs({ faults: { voidSuccessBody: null } });
      await client.ensureReady(SERIAL);
      emulator.setKnobs({ faults: { voidSuccessBody: body } });
      const acks: BatchAck[] = [];
      const error = await failure(
        client.postEgvs(SERIAL, readings(3, END), { onBatch: (a) => void acks.push(a) }),
      );
      expect(error.code).toBe("SHARE_PROTOCOL");
      expect(error.context).toMatchObject({ operation: OP.post, answer: type });
      expect(classifyShareFailure(error)).toBe("transient");
      expect(acks).toEqual([]);
    },
  );

  it("a 200 carrying the error envelope acknowledges nothing, even DuplicateEgvPosted", async () => {
    await connect();
    await client.postEgvs(SERIAL, readings(3, END));
    emulator.setKnobs({ faults: { faultsWithStatus200: true } });
    const acks: BatchAck[] = [];
    const error = await failure(
      client.postEgvs(SERIAL, readings(3, END), { onBatch: (a) => void acks.push(a) }),
    );
    expect(error.code).toBe("SHARE_PROTOCOL");
    expect(error.message).toBe(
      `Share answered HTTP 200 carrying the fault DuplicateEgvPosted to ${OP.post}; nothing is taken as done [SHARE_PROTOCOL]`,
    );
    expect(error.context).toMatchObject({
      httpStatus: 200,
      shareCode: "DuplicateEgvPosted",
      envelopeFault: "duplicate",
    });
    expect(error.context["fault"]).toBeUndefined();
    expect(classifyShareFailure(error)).toBe("transient");
    expect(acks).toEqual([]);
    expect(emulator.requests.at(-1)).toMatchObject({
      operation: OP.post,
      status: 200,
      code: "DuplicateEgvPosted",
    });
  });

  it("DuplicateEgvPosted (HTTP 500) is a success: the whole batch counts as stored", async () => {
    await connect();
    const all = readings(6, END);
    await client.postEgvs(SERIAL, all.slice(0, 3));
    const result = await client.postBatch(SERIAL, onlyBatch(all));
    expect(result.kind).toBe("duplicate");
    expect(emulator.account(USER).egvs.map((e) => e.value)).toEqual([100, 101, 102, 103, 104, 105]);
  });

  it("FutureEgvPosted: the readings the server called future are not acknowledged, the others are", async () => {
    await connect();
    const now = readings(3, END);
    const future = [
      { stSeconds: END + 600, dtSeconds: END + 600, taSeconds: 0, glucose: 150, trend: 4 },
      { stSeconds: END + 900, dtSeconds: END + 900, taSeconds: 0, glucose: 151, trend: 4 },
    ];
    const result = await client.postBatch(SERIAL, onlyBatch([...future, ...now]));
    expect(result).toMatchObject({
      kind: "future",
      countKnown: true,
      stored: now,
      future,
      serverMessage: "2 EGV record(s) are in the future and were not stored.",
    });
    expect(emulator.account(USER).egvs.map((e) => e.value)).toEqual([100, 101, 102]);
  });

  it("FutureEgvPosted through postEgvs: the cursor stops before the future readings; later batches wait too", async () => {
    await connect();
    const past = readings(60, END); // 60 readings: batches of 50 and 10
    const future = { stSeconds: END + 3600, dtSeconds: END + 3600, taSeconds: 0, glucose: 222, trend: 4 };
    const laterTa = { stSeconds: END + 7200, dtSeconds: END + 7200, taSeconds: 5, glucose: 223, trend: 4 };
    const acks: BatchAck[] = [];
    const result = await client.postEgvs(SERIAL, [...past, future, laterTa], {
      onBatch: (a) => void acks.push(a),
    });
    expect(acks.map((a) => [a.outcome, a.count, a.lastStSeconds])).toEqual([
      ["stored", 50, END - 10 * 300],
      ["future", 10, END],
    ]);
    expect(result.readings).toBe(60);
    expect(result.future).toEqual([future, laterTa]);
    expect(emulator.count(OP.post)).toBe(2);
  });
});
