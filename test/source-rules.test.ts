/**
 * Rules about the source itself that a reviewer would otherwise have to remember: no error message
 * is edited by a regular expression on its code suffix, and the folders below throw only
 * SharebridgeError.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../", import.meta.url).pathname;

async function sources(folder: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe("source rules", () => {
  it("no code strips or edits a ' [CODE]' suffix (messages are written once)", async () => {
    const offenders: string[] = [];
    for (const file of await sources("src")) {
      const text = await readFile(join(ROOT, file), "utf8");
      if (text.includes("\\[[A-Z_]+\\]")) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  it("src/config, src/cli, src/observe, src/util and src/main.ts throw only SharebridgeError", async () => {
    const files = [
      ...(await sources("src/config")),
      ...(await sources("src/cli")),
      ...(await sources("src/observe")),
      ...(await sources("src/util")),
      "src/main.ts",
    ];
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, file), "utf8");
      for (const match of text.matchAll(/new ([A-Za-z]*Error)\(/g)) {
        if (match[1] !== "SharebridgeError") offenders.push(`${file}: ${match[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
