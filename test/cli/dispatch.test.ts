import { describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { cli } from "../support/cli.js";

describe("sharebridge command line", () => {
  it("lists the commands on --help and with no arguments", async () => {
    for (const args of [[], ["--help"]]) {
      const run = await cli(args);
      expect(run.code).toBe(EXIT.OK);
      expect(run.stderr).toContain("receiver info");
      expect(run.stderr).toContain("receiver dump");
      expect(run.stderr).toContain("--device auto|PATH|tcp://HOST:PORT");
    }
  });

  it("refuses an unknown command with the usage exit code", async () => {
    const run = await cli(["frobnicate"]);
    expect(run.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(run.stderr).toContain("Unknown command: frobnicate");
  });

  it("refuses unknown options and bad values, naming them", async () => {
    const unknown = await cli(["receiver", "info", "--bogus"]);
    expect(unknown.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(unknown.stderr).toContain("--bogus");
    const badType = await cli(["receiver", "dump", "--type", "nonsense"]);
    expect(badType.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(badType.stderr).toContain(
      "--type must be one of egv|sensor|meter|cal|insertion|events|settings|manufacturing",
    );
    const badLevel = await cli(["receiver", "info", "--log-level", "loud"]);
    expect(badLevel.code).toBe(EXIT.USAGE_OR_CONFIG);
    const badDevice = await cli(["receiver", "info", "--device", "http://x:1"]);
    expect(badDevice.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(badDevice.stderr).toContain("DEVICE_SPEC_INVALID");
  });

  it("prints a command's help on stdout", async () => {
    const run = await cli(["receiver", "dump", "--help"]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toContain("Usage: sharebridge receiver dump --type");
  });

  it("exits with the receiver code when nothing answers at the device", async () => {
    const run = await cli(["receiver", "info", "--device", "tcp://127.0.0.1:1"]);
    expect(run.code).toBe(EXIT.RECEIVER);
    const line = JSON.parse(run.stderr.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(line["code"]).toBe("DEVICE_NOT_FOUND");
    expect(line["level"]).toBe(50);
  });
});
