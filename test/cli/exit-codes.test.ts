import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { EXIT, EXIT_CODE_BY_ERROR, exitCodeFor } from "../../src/cli/exit-codes.js";
import { ERROR_CODES, SharebridgeError } from "../../src/errors.js";

/** The README's "Exit codes" table: code → meaning. */
async function readmeExitCodes(): Promise<Map<number, string>> {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.split("### Exit codes")[1]?.split("\n#")[0] ?? "";
  const rows = new Map<number, string>();
  for (const match of section.matchAll(/^\| (\d+) \| (.*) \|$/gm)) {
    rows.set(Number(match[1]), (match[2] ?? "").trim());
  }
  return rows;
}

describe("exit codes", () => {
  it("every error code maps to an exit code the README documents with a meaning", async () => {
    const rows = await readmeExitCodes();
    expect(ERROR_CODES.length).toBe(Object.keys(EXIT_CODE_BY_ERROR).length);
    for (const code of ERROR_CODES) {
      const exit = exitCodeFor(new SharebridgeError(code, "x"));
      expect([code, exit]).toEqual([code, EXIT_CODE_BY_ERROR[code]]);
      expect([code, (rows.get(exit) ?? "").length > 10]).toEqual([code, true]);
    }
  });

  it("the README's table lists exactly the exit codes there are", async () => {
    const rows = await readmeExitCodes();
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual(
      [...new Set(Object.values(EXIT))].sort((a, b) => a - b),
    );
  });

  it("only INTERNAL and what is not a SharebridgeError mean 'a bug' (1)", () => {
    const bugs = ERROR_CODES.filter((code) => EXIT_CODE_BY_ERROR[code] === EXIT.INTERNAL);
    expect(bugs).toEqual(["INTERNAL"]);
    expect(exitCodeFor(new TypeError("x"))).toBe(EXIT.INTERNAL);
    expect(EXIT_CODE_BY_ERROR.XML_INVALID).toBe(EXIT.RECEIVER);
    expect(EXIT_CODE_BY_ERROR.STATE_CORRUPT).toBe(EXIT.STATE);
    expect(EXIT_CODE_BY_ERROR.STATE_WRITE_FAILED).toBe(EXIT.STATE);
    expect(EXIT.STATE).toBe(9);
  });
});
