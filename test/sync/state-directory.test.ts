/**
 * The daemon's wait for a usable state directory (run.ts): it logs the problem with its fix, keeps
 * checking, and goes on by itself once the operator fixed it, instead of exiting into systemd's start
 * limit. Time is fake: each wait moves a fixed clock by its length.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Timers } from "../../src/clock.js";
import { isStateUnusable, waitForUsableStateDirectory } from "../../src/sync/state-directory.js";
import { logSink } from "../share/support/log-sink.js";

const EPOCH_MS = Date.UTC(2025, 0, 15, 12, 0, 0);

/** Timers that fire at once, after moving the clock and running `onWait` (the operator's move). */
function fakeTime(onWait: (waits: number) => Promise<void>) {
  const time = { now: EPOCH_MS, waits: 0 };
  const timers: Timers = {
    setTimeout(callback, ms) {
      return setImmediate(async () => {
        time.now += ms;
        time.waits++;
        await onWait(time.waits);
        callback();
      });
    },
    clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
  };
  return { clock: { now: () => time.now }, timers, time };
}

describe("waitForUsableStateDirectory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-wait-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("waits out a directory others may write to, logging it with the fix every 10 minutes, until fixed", async () => {
    await chmod(dir, 0o777);
    const sink = logSink();
    const fake = fakeTime(async (waits) => {
      if (waits === 45) await chmod(dir, 0o700); // the operator acts after 45 checks (22.5 min)
    });
    const usable = await waitForUsableStateDirectory(dir, {
      fileName: "state.json",
      log: sink.log,
      clock: fake.clock,
      timers: fake.timers,
    });
    expect(usable).toBe(true);
    expect(fake.time.now - EPOCH_MS).toBe(45 * 30_000);
    const lines = sink.lines();
    expect(lines.map((l) => [l["level"], l["msg"]])).toEqual([
      ...[0, 1, 2].map(() => [
        50,
        `the state directory ${dir} is writable by its group (mode 0777): anyone who may write there could replace the state file [STATE_PERMISSION]; waiting until it can be used (checking every 30 s)`,
      ]),
      [30, "the state directory is usable again"],
    ]);
    expect(lines[0]?.["context"]).toMatchObject({
      fix: `chmod go-w ${dir} (sharebridge creates it with mode 0700)`,
    });
  });

  it("returns false when stopped while waiting", async () => {
    await chmod(dir, 0o770);
    const controller = new AbortController();
    const fake = fakeTime(async (waits) => {
      if (waits === 3) controller.abort();
    });
    const usable = await waitForUsableStateDirectory(dir, {
      fileName: "state.json",
      signal: controller.signal,
      clock: fake.clock,
      timers: fake.timers,
    });
    expect(usable).toBe(false);
    expect(fake.time.waits).toBe(3);
  });

  it("a stateDir that is a file cannot be waited out: thrown at once", async () => {
    await writeFile(join(dir, "file"), "");
    const error = await waitForUsableStateDirectory(join(dir, "file"), { fileName: "state.json" }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "CONFIG_INVALID", context: { key: "stateDir" } });
    expect(isStateUnusable(error)).toBe(false);
  });
});
