/**
 * The layers of DESIGN.md §1, checked on the source: every import goes down or sideways within its
 * folder, never up. `errors.ts`, `log.ts`, `clock.ts` and `util/` are the root (importing only each
 * other); the emulators may use the protocol layers, and only the command line, the composition root
 * and the diagnostics (`doctor` and `status` open `--device emulate` too) may load them; `sync/`
 * never reads the configuration.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../../src/", import.meta.url).pathname;

/** Rank of each top-level folder: an import may only go to a rank at or below its own. */
const RANK: Readonly<Record<string, number>> = {
  root: 0,
  wire: 1,
  receiver: 2,
  records: 3,
  time: 4,
  readings: 5,
  share: 6,
  sinks: 7,
  config: 8,
  sync: 8,
  observe: 9,
  emulator: 9,
  app: 10,
  cli: 11,
  main: 12,
};
const ROOT_FILES = new Set(["errors", "log", "clock"]);

function layerOf(path: string): string {
  const [first, ...rest] = path.split("/");
  const name = (first ?? "").replace(/\.ts$|\.js$/, "");
  if (rest.length === 0) return ROOT_FILES.has(name) ? "root" : name;
  return first === "util" ? "root" : (first ?? "");
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Every relative import (static or dynamic) of every source file: [from, to], paths under src/. */
async function imports(): Promise<[string, string][]> {
  const edges: [string, string][] = [];
  for (const file of await sources(SRC)) {
    const text = await readFile(file, "utf8");
    for (const match of text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = relative(SRC, join(file, "..", match[1] as string));
      edges.push([relative(SRC, file), target]);
    }
  }
  return edges;
}

describe("layers", () => {
  it("every import goes down (or sideways), never up", async () => {
    const edges = await imports();
    expect(edges.length).toBeGreaterThan(500);
    const upward = edges.filter(([from, to]) => {
      const a = layerOf(from);
      const b = layerOf(to);
      if (a === b) return false;
      const rankA = RANK[a];
      const rankB = RANK[b];
      if (rankA === undefined || rankB === undefined) return true;
      return rankB > rankA;
    });
    expect(upward).toEqual([]);
  });

  it("the root imports only the root; sync never reads the configuration; only cli, app and observe load the emulators", async () => {
    const edges = await imports();
    const broken = edges.filter(([from, to]) => {
      const a = layerOf(from);
      const b = layerOf(to);
      if (a === "root") return b !== "root";
      if (a === "sync") return b === "config";
      if (b === "emulator") return !["emulator", "cli", "app", "observe"].includes(a);
      return false;
    });
    expect(broken).toEqual([]);
  });
});
