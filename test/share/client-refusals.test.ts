/**
 * A reading the server keeps refusing (share-api §18.7): postBatch reports the refusal as a value,
 * classifyShareFailure calls it "content", and splitting the batch finds the culprit while every
 * other reading gets stored. Account and transient failures are thrown and classed as such.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import { SharebridgeError } from "../../src/errors.js";
import type { BatchResult } from "../../src/share/batch-result.js";
import type { ShareClient } from "../../src/share/client.js";
import { type EgvBatch, planBatches, type ShareEgv } from "../../src/share/egv.js";
import { classifyShareFailure } from "../../src/share/failure-class.js";
import { failure } from "./support/failure.js";
import { clientFor, emulatorWithWearer, OP, readings, SERIAL, USER } from "./support/share-fixtures.js";

const T = Date.UTC(2026, 8, 9, 10, 11, 0);
const END = T / 1000;

/** What a sync engine does with a refused batch: halve it until the refused readings stand alone. */
async function postSplitting(
  client: ShareClient,
  batch: EgvBatch,
  quarantined: ShareEgv[],
  results: BatchResult["kind"][],
): Promise<void> {
  const result = await client.postBatch(SERIAL, batch);
  results.push(result.kind);
  if (result.kind !== "refused") return;
  expect(classifyShareFailure(result.error)).toBe("content");
  if (result.culprits !== undefined) {
    quarantined.push(...result.culprits);
    const rest = batch.readings.filter((r) => !result.culprits?.includes(r));
    if (rest.length > 0) await postSplitting(client, { ...batch, readings: rest }, quarantined, results);
    return;
  }
  if (batch.readings.length === 1) {
    quarantined.push(...batch.readings);
    return;
  }
  const half = Math.ceil(batch.readings.length / 2);
  await postSplitting(client, { ...batch, readings: batch.readings.slice(0, half) }, quarantined, results);
  await postSplitting(client, { ...batch, readings: batch.readings.slice(half) }, quarantined, results);
}

describe("readings the server refuses", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("one refused reading among 8: found in 7 posts, quarantined, the other 7 stored", async () => {
    emulator = await emulatorWithWearer({
      now: () => T,
      knobs: { faults: { refuse: { values: [105], stMs: [] } } },
    });
    client = clientFor(emulator, {}, { clock: { now: () => T } });
    const [batch] = planBatches(readings(8, END));
    if (batch === undefined) throw new Error("no batch");
    const quarantined: ShareEgv[] = [];
    const results: BatchResult["kind"][] = [];
    await postSplitting(client, batch, quarantined, results);
    expect(quarantined.map((r) => r.glucose)).toEqual([105]);
    expect(results).toEqual(["refused", "stored", "refused", "refused", "stored", "refused", "stored"]);
    expect(emulator.count(OP.post)).toBe(7);
    expect(emulator.account(USER).egvs.map((e) => e.value)).toEqual([100, 101, 102, 103, 104, 106, 107]);
  });

  it("the refusal carries the server's code and says it is about the content", async () => {
    emulator = await emulatorWithWearer({ now: () => T });
    client = clientFor(emulator, {}, { clock: { now: () => T } });
    const [batch] = planBatches(readings(2, END));
    if (batch === undefined) throw new Error("no batch");
    emulator.setKnobs({ faults: { refuse: { values: [], stMs: [T] } } });
    const result = await client.postBatch(SERIAL, batch);
    if (result.kind !== "refused") throw new Error(`expected refused, got ${result.kind}`);
    expect(result.culprits).toBeUndefined();
    expect(result.error.code).toBe("SHARE_REJECTED");
    expect(result.error.context).toMatchObject({
      operation: OP.post,
      shareCode: "InvalidArgument",
      fault: "invalid-argument",
      refusal: "content",
      by: "server",
    });
    expect(emulator.account(USER).egvs).toHaveLength(0);
  });

  it("readings the client itself must not send are refused before any request, naming exactly them", async () => {
    emulator = await emulatorWithWearer({ now: () => T });
    client = clientFor(emulator, {}, { clock: { now: () => T } });
    const good = readings(3, END);
    const bad = { ...good[1], stSeconds: 4_200_000_000 } as ShareEgv; // a damaged record: beyond 2100
    const batch: EgvBatch = { taSeconds: 0, readings: [good[0] as ShareEgv, bad, good[2] as ShareEgv] };
    const result = await client.postBatch(SERIAL, batch);
    if (result.kind !== "refused") throw new Error(`expected refused, got ${result.kind}`);
    expect(result.culprits).toEqual([bad]);
    expect(result.error.context).toMatchObject({
      field: "stSeconds",
      index: 1,
      refusal: "content",
      by: "client",
    });
    expect(classifyShareFailure(result.error)).toBe("content");
    expect(emulator.count()).toBe(0);
  });

  it("a batch that breaks the batch rules (over 50, mixed TA) is a caller error, thrown", async () => {
    emulator = await emulatorWithWearer({ now: () => T });
    client = clientFor(emulator, {}, { clock: { now: () => T } });
    const many: EgvBatch = { taSeconds: 0, readings: readings(51, END) };
    expect((await failure(client.postBatch(SERIAL, many))).code).toBe("SHARE_INPUT_INVALID");
    const mixed: EgvBatch = {
      taSeconds: 0,
      readings: [{ ...(readings(1, END)[0] as ShareEgv), taSeconds: 5 }],
    };
    expect((await failure(client.postBatch(SERIAL, mixed))).code).toBe("SHARE_INPUT_INVALID");
    expect(emulator.count()).toBe(0);
  });

  it("account failures are thrown and classed as account; Share unavailable as transient", async () => {
    emulator = await emulatorWithWearer({
      now: () => T,
      accounts: [
        { name: USER, password: "x" },
        { name: "neighbour", password: "y" },
      ],
    });
    emulator.state.assign(emulator.account("neighbour"), SERIAL);
    client = clientFor(emulator, { password: "x" }, { clock: { now: () => T } });
    const [batch] = planBatches(readings(1, END));
    if (batch === undefined) throw new Error("no batch");
    const owned = await failure(client.postBatch(SERIAL, batch));
    expect([owned.code, classifyShareFailure(owned)]).toEqual(["SHARE_ASSIGNMENT", "account"]);
    emulator.setOutage(true);
    const down = await failure(client.postBatch(SERIAL, batch));
    expect([down.code, classifyShareFailure(down)]).toEqual(["SHARE_UNAVAILABLE", "transient"]);
    expect(classifyShareFailure(new SharebridgeError("SHARE_CREDENTIALS", "x"))).toBe("account");
    expect(classifyShareFailure(new SharebridgeError("SHARE_LOCKED_OUT", "x"))).toBe("account");
    expect(classifyShareFailure(new SharebridgeError("SHARE_SESSION", "x"))).toBe("account");
    expect(classifyShareFailure(new Error("plain"))).toBe("transient");
  });
});
