import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import {
  clientFor,
  emulatorWithWearer,
  nowSeconds,
  OP,
  readings,
  SERIAL,
  USER,
} from "./support/share-fixtures.js";

describe("Share client against the emulator: happy path", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("logs in, assigns the receiver, starts monitoring and posts in batches of 50", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    const end = nowSeconds();
    const acks: number[] = [];
    const result = await client.postEgvs(SERIAL, readings(120, end), {
      onBatch: (a) => void acks.push(a.count),
    });

    expect(acks).toEqual([50, 50, 20]);
    expect(result.batches.map((b) => b.outcome)).toEqual(["stored", "stored", "stored"]);
    expect(result.batches.at(-1)?.lastStSeconds).toBe(end);
    expect(emulator.countsByOperation()).toEqual({
      [OP.authenticate]: 1,
      [OP.loginById]: 1,
      [OP.check]: 1,
      [OP.start]: 2,
      [OP.replace]: 1,
      [OP.post]: 3,
    });
    const account = emulator.account(USER);
    expect(account.assignedSerial).toBe(SERIAL);
    expect(account.egvs).toHaveLength(120);
    expect(account.egvs[0]?.value).toBe(100);
    expect(account.egvs.at(-1)?.wtMs).toBe(end * 1000);
  });
});
