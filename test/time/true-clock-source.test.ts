/**
 * Where true UTC comes from: the host while synchronised (asked at most once a minute), else Share's
 * clock; a reference that answers badly leaves the clock unsynchronised, one that cannot be reached
 * is the reference's own failure (the cycle then waits for Share, not for NTP).
 */
import { describe, expect, it } from "vitest";
import { SharebridgeError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import type { HostSyncState } from "../../src/time/host-sync.js";
import { trueClockSource } from "../../src/time/true-clock-source.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";

const SYNCED: HostSyncState = { synchronised: true, source: "timedatectl", detail: "yes" };
const UNSYNCED: HostSyncState = { synchronised: false, source: "none", detail: "no" };

function source(
  host: HostSyncState,
  reference?: () => Promise<{ utcMs: number; sentAtMs: number; receivedAtMs: number; source: string }>,
) {
  const time = { now: TEST_EPOCH_MS };
  let asked = 0;
  const clock = trueClockSource({
    hostSync: async () => {
      asked++;
      return host;
    },
    reference,
    clock: { now: () => time.now },
    log: silentLogger,
  });
  return { clock, time, asked: () => asked };
}

describe("the true clock source", () => {
  it("the synchronised host, asked at most once a minute, again at once after invalidate()", async () => {
    const s = source(SYNCED);
    expect(await s.clock.get()).toEqual({
      kind: "host",
      source: "host (timedatectl)",
      correctionMs: 0,
      synchronised: true,
    });
    s.time.now += 59_000;
    await s.clock.get();
    expect(s.asked()).toBe(1);
    s.time.now += 2_000;
    await s.clock.get();
    expect(s.asked()).toBe(2);
    s.clock.invalidate();
    await s.clock.get();
    expect(s.asked()).toBe(3);
  });

  it("an unsynchronised host takes Share's clock, corrected to the round trip's midpoint", async () => {
    const s = source(UNSYNCED, async () => ({
      utcMs: TEST_EPOCH_MS + 90_000,
      sentAtMs: TEST_EPOCH_MS,
      receivedAtMs: TEST_EPOCH_MS + 200,
      source: "share SystemUtcTime",
    }));
    expect(await s.clock.get()).toEqual({
      kind: "reference",
      source: "share SystemUtcTime",
      correctionMs: 89_900,
      synchronised: true,
    });
  });

  it("a reference whose round trip is too long to trust leaves the clock unsynchronised", async () => {
    const s = source(UNSYNCED, async () => ({
      utcMs: TEST_EPOCH_MS,
      sentAtMs: TEST_EPOCH_MS,
      receivedAtMs: TEST_EPOCH_MS + 5_000,
      source: "share SystemUtcTime",
    }));
    expect(await s.clock.get()).toMatchObject({ kind: "unsynchronised-host", synchronised: false });
  });

  it("a reference that cannot be reached throws its own failure", async () => {
    const down = new SharebridgeError("SHARE_UNAVAILABLE", "Share answered 503");
    const s = source(UNSYNCED, async () => {
      throw down;
    });
    await expect(s.clock.get()).rejects.toBe(down);
  });
});
