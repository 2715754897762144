/**
 * Share outages (share-api §9.1, §14.1 item 6): 503 with a non-JSON body is transient; the client
 * retries with jittered exponential back-off from 30 s, bounded and abortable, and no reading is
 * lost or posted twice. Minutes pass on fake timers; HTTP is real, over loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import type { ShareEgv } from "../../src/share/egv.js";
import { failure } from "./support/failure.js";
import {
  pass,
  settle,
  TIMEOUTS_BEYOND_FAKE_TIME,
  useFakeTimeWithExactBackOff,
  useRealTime,
} from "./support/fake-time.js";
import { clientFor, emulatorWithWearer, OP, readings, SERIAL, USER } from "./support/share-fixtures.js";

const T0 = Date.UTC(2026, 5, 1, 6, 0, 0);
const MINUTE = 60_000;

describe("503 outages", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  beforeEach(() => useFakeTimeWithExactBackOff(T0));
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
    useRealTime();
  });

  const postCodes = () => emulator.requests.filter((r) => r.operation === OP.post).map((r) => r.status);

  it("a 5-minute outage inside one post: three 503s, then success at 375 s, nothing lost", async () => {
    emulator = await emulatorWithWearer({
      knobs: { faults: { outage: { afterMs: MINUTE, durationMs: 5 * MINUTE } } },
    });
    client = clientFor(emulator, { retry: { retries: 8 }, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
    const t0 = Math.floor(T0 / 1000);
    await settle(client.postEgvs(SERIAL, readings(3, t0)), MINUTE);
    await pass(MINUTE - (Date.now() - T0));

    const acked: number[] = [];
    const posting = client.postEgvs(SERIAL, readings(1, t0 + 60, 200), {
      onBatch: () => void acked.push(Date.now()),
    });
    await settle(posting, 30 * MINUTE);

    // Attempts at 60 s, 105 s, 195 s (503) and 375 s (after the outage ended at 360 s).
    expect(postCodes()).toEqual([200, 503, 503, 503, 200]);
    expect(emulator.requests.filter((r) => r.status === 503).map((r) => (r.atMs - T0) / 1000)).toEqual([
      60, 105, 195,
    ]);
    expect(acked.map((ms) => (ms - T0) / 1000)).toEqual([375]);
    expect(emulator.account(USER).egvs.map((e) => e.value)).toEqual([100, 101, 102, 200]);
    expect(client.stats.transientFailures).toBe(3);
  });

  it("an outage longer than the retry budget: SHARE_UNAVAILABLE, cursor untouched, the next cycle posts it all once", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator, { retry: { retries: 2 }, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
    emulator.state.assign(emulator.account(USER), SERIAL);
    await settle(client.ensureReady(SERIAL), MINUTE);

    // A daemon cycle every 5 minutes: one new reading per cycle, post everything after the cursor.
    const all: ShareEgv[] = [];
    let cursor = 0;
    const outcomes: string[] = [];
    emulator.setOutage(true);
    for (let cycle = 0; cycle < 12; cycle++) {
      if (cycle === 8) emulator.setOutage(false); // the outage lasts 40 minutes
      const t = Math.floor(Date.now() / 1000);
      all.push({ stSeconds: t, dtSeconds: t, taSeconds: 0, glucose: 120 + cycle, trend: 4 });
      const pending = all.filter((r) => r.stSeconds > cursor);
      try {
        await settle(
          client.postEgvs(SERIAL, pending, {
            onBatch: (ack) => {
              cursor = ack.lastStSeconds;
            },
          }),
          30 * MINUTE,
        );
        outcomes.push(`ok:${pending.length}`);
      } catch (error) {
        outcomes.push((error as { code: string }).code);
      }
      await pass(5 * MINUTE - ((Date.now() - T0) % (5 * MINUTE)));
    }
    // Each failed cycle spends 45 + 90 s retrying, well inside its 5-minute slot.
    expect(outcomes).toEqual([
      "SHARE_UNAVAILABLE",
      "SHARE_UNAVAILABLE",
      "SHARE_UNAVAILABLE",
      "SHARE_UNAVAILABLE",
      "SHARE_UNAVAILABLE",
      "SHARE_UNAVAILABLE",
      "SHARE_UNAVAILABLE",
      "SHARE_UNAVAILABLE",
      "ok:9",
      "ok:1",
      "ok:1",
      "ok:1",
    ]);
    // Each failed cycle: 3 post attempts (1 + 2 retries); then 4 successful posts.
    expect(emulator.count(OP.post)).toBe(8 * 3 + 4);
    const stored = emulator.account(USER).egvs.map((e) => e.value);
    expect(stored).toEqual(all.map((r) => r.glucose)); // every reading, once, in order
  });

  it("aborting during the back-off stops at once: no further request", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator, { retry: { retries: 8 }, timeouts: TIMEOUTS_BEYOND_FAKE_TIME });
    emulator.state.assign(emulator.account(USER), SERIAL);
    await settle(client.ensureReady(SERIAL), MINUTE);
    emulator.setOutage(true);
    emulator.clearRequests();
    const controller = new AbortController();
    const posting = client.postEgvs(SERIAL, readings(1, Math.floor(Date.now() / 1000)), {
      signal: controller.signal,
    });
    await pass(10_000); // the first attempt failed; the 45 s pause is running
    controller.abort(new Error("SIGTERM"));
    const error = await failure(settle(posting, MINUTE));
    expect(error.code).toBe("ABORTED");
    await pass(10 * MINUTE);
    expect(emulator.countsByOperation()).toEqual({ [OP.post]: 1 });
  });
});
