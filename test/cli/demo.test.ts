/** `sharebridge demo`: the whole pipeline against the built-in emulators, in a few seconds. */
import { describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { cli } from "../support/cli.js";

describe("sharebridge demo", () => {
  it("posts the backfill and live readings, reads them back, and draws them", async () => {
    const run = await cli(["demo", "--seconds", "6", "--interval", "1", "--profile", "g4"]);
    expect(run.code).toBe(EXIT.OK);
    const out = run.stdout;
    expect(out).toContain("a g4 receiver emulator with a new reading every 1 s");
    const chart = out.split("\n").filter((line) => /^( {4}|\s*\d{2,3}) [│┃]/.test(line));
    expect(chart).toHaveLength(12);
    expect(out).toMatch(/\n {5}└─{64}\n/);
    const number = (label: string) => Number(new RegExp(`${label}\\s+(\\d+)`).exec(out)?.[1]);
    const posted = number("posted to Share \\(24 h backfill \\+ live\\)");
    const readBack = number("read back \\(last 3 h\\)");
    const live = number("live readings during the demo");
    expect(posted).toBeGreaterThan(24 * 12 - 30);
    expect(readBack).toBeGreaterThanOrEqual(3 * 12 - 2);
    expect(live).toBeGreaterThanOrEqual(3);
    expect(out).toMatch(/lag, reading written → stored on Share median \d+\.\d s, max \d+\.\d s/);
    expect(run.stderr).toBe("");
  }, 30_000);
});
