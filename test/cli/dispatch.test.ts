import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { COMMANDS } from "../../src/cli/index.js";
import { cli } from "../support/cli.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-dispatch-"));
  await writeFile(join(dir, "empty.json"), "{}\n");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An environment with an empty configuration file and no other sharebridge variable. */
const bare = () => ({ SHAREBRIDGE_CONFIG: join(dir, "empty.json") });

describe("sharebridge command line", () => {
  /** The command list: every command on its own line with its description. */
  const expectCommandList = (help: string) => {
    const lines = help.split("\n");
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const line = lines.find((l) => l.startsWith(`  ${name}  `));
      expect([name, line?.endsWith(entry.summary)]).toEqual([name, true]);
    }
    expect(help).toContain("--device auto|PATH|tcp://HOST:PORT|emulate[:PROFILE]");
  };

  it("lists each command with its one-line description: on stdout for --help, on stderr with no arguments", async () => {
    const asked = await cli(["--help"]);
    expect([asked.code, asked.stderr]).toEqual([EXIT.OK, ""]);
    expectCommandList(asked.stdout);
    const bare = await cli([]);
    expect([bare.code, bare.stdout]).toEqual([EXIT.OK, ""]);
    expectCommandList(bare.stderr);
  });

  it("prints its version", async () => {
    const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
    const run = await cli(["--version"]);
    expect([run.code, run.stdout]).toEqual([EXIT.OK, `sharebridge ${version}\n`]);
  });

  it.each([
    [["stauts"], 'Unknown command: stauts; did you mean "sharebridge status"?'],
    [["receiver", "ifno"], 'Unknown command: receiver ifno; did you mean "sharebridge receiver info"?'],
    [
      ["share", "followers", "lst"],
      'Unknown command: share followers lst; did you mean "sharebridge share followers list"?',
    ],
    [
      ["receiver"],
      'Unknown command: receiver; "receiver" is followed by one of: info, list, records, dump, set-display-offset, set-charger-current',
    ],
    [["frobnicate"], "Unknown command: frobnicate\n"],
  ])("refuses the unknown command %j with a suggestion", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(run.stderr).toContain(message);
  });

  it("refuses unknown options with a suggestion, and bad values, naming them", async () => {
    const unknown = await cli(["receiver", "info", "--jsno"]);
    expect(unknown.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(unknown.stderr).toContain(
      "unknown option --jsno; did you mean --json? [USAGE]\n\nUsage: sharebridge receiver info",
    );
    const far = await cli(["status", "--bogus"]);
    expect(far.stderr).toContain("unknown option --bogus [USAGE]");
    const badType = await cli(["receiver", "dump", "--type", "nonsense"]);
    expect(badType.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(badType.stderr).toContain(
      "--type must be one of egv|sensor|meter|cal|insertion|events|settings|manufacturing",
    );
    const badLevel = await cli(["receiver", "info", "--log-level", "loud"], undefined, { env: bare() });
    expect(badLevel.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(badLevel.stderr).toContain(
      "command line: log.level: must be one of fatal, error, warn, info, debug, trace, silent",
    );
    const badDevice = await cli(["receiver", "info", "--device", "http://x:1"], undefined, { env: bare() });
    expect(badDevice.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(badDevice.stderr).toContain("DEVICE_SPEC_INVALID");
  });

  it("prints a command's help on stdout", async () => {
    const run = await cli(["receiver", "dump", "--help"]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toContain("Usage: sharebridge receiver dump --type");
  });

  it("exits with the receiver code when nothing answers at the device", async () => {
    const run = await cli(["receiver", "info", "--device", "tcp://127.0.0.1:1"], undefined, { env: bare() });
    expect(run.code).toBe(EXIT.RECEIVER);
    const line = JSON.parse(run.stderr.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(line["code"]).toBe("DEVICE_NOT_FOUND");
    expect(line["level"]).toBe(50);
  });
});

describe("every command honours the configuration and the environment", () => {
  const generation = async (args: string[], env: Record<string, string>) => {
    const run = await cli(["receiver", "info", "--json", ...args], undefined, { env });
    expect([run.code, run.stderr]).toEqual([EXIT.OK, ""]);
    return (JSON.parse(run.stdout) as { generation: string }).generation;
  };

  it("receiver info takes the device from --config, SHAREBRIDGE_CONFIG, SHAREBRIDGE_DEVICE and --device, in that order", async () => {
    const file = join(dir, "config.json");
    await writeFile(file, JSON.stringify({ device: "emulate:g5", log: { level: "warn" } }));
    const other = join(dir, "other.json");
    await writeFile(other, JSON.stringify({ device: "emulate:touchscreen", log: { level: "warn" } }));
    expect(await generation(["--config", file], bare())).toBe("G5 Mobile");
    expect(await generation([], { SHAREBRIDGE_CONFIG: other })).toBe("G6 touchscreen");
    expect(await generation([], { SHAREBRIDGE_CONFIG: other, SHAREBRIDGE_DEVICE: "emulate:g5" })).toBe(
      "G5 Mobile",
    );
    expect(
      await generation(["--device", "emulate:g4"], {
        SHAREBRIDGE_CONFIG: other,
        SHAREBRIDGE_DEVICE: "emulate:g5",
      }),
    ).toBe("G4");
  });

  it("logs at log.level from the file, SHAREBRIDGE_LOG_LEVEL and --log-level", async () => {
    const file = join(dir, "config.json");
    await writeFile(file, JSON.stringify({ log: { level: "fatal" } }));
    const failing = ["receiver", "info", "--device", "tcp://127.0.0.1:1"];
    const quiet = await cli([...failing, "--config", file], undefined, { env: bare() });
    expect([quiet.code, quiet.stderr]).toEqual([EXIT.RECEIVER, ""]);
    const fromEnv = await cli(failing, undefined, { env: { ...bare(), SHAREBRIDGE_LOG_LEVEL: "fatal" } });
    expect([fromEnv.code, fromEnv.stderr]).toEqual([EXIT.RECEIVER, ""]);
    const flag = await cli([...failing, "--config", file, "--log-level", "error"], undefined, {
      env: bare(),
    });
    expect(flag.code).toBe(EXIT.RECEIVER);
    expect(JSON.parse(flag.stderr.trim())).toMatchObject({ level: 50, code: "DEVICE_NOT_FOUND" });
  });
});
