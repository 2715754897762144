import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StateSchema, StateStore } from "../../src/sync/state-store.js";

interface Counter {
  version: 2;
  count: number;
}

const schema: StateSchema<Counter> = {
  empty: () => ({ version: 2, count: 0 }),
  parse(document) {
    const d = document as { version?: unknown; count?: unknown; n?: unknown };
    if (d.version === 1 && typeof d.n === "number") return { version: 2, count: d.n }; // migration
    if (d.version !== 2 || typeof d.count !== "number") throw new Error("not a counter document");
    return { version: 2, count: d.count };
  },
};

describe("state store", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-state-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts empty, writes atomically and reloads what it wrote", async () => {
    const store = await StateStore.open(join(dir, "nested"), schema);
    expect(store.current).toEqual({ version: 2, count: 0 });
    await store.update((s) => ({ ...s, count: s.count + 1 }));
    await store.update((s) => ({ ...s, count: s.count + 1 }));
    expect(JSON.parse(await readFile(store.file, "utf8"))).toEqual({ version: 2, count: 2 });
    expect(await readdir(join(dir, "nested"))).toEqual(["state.json"]);
    const again = await StateStore.open(join(dir, "nested"), schema);
    expect(again.current.count).toBe(2);
  });

  it("serialises concurrent updates", async () => {
    const store = await StateStore.open(dir, schema);
    await Promise.all(Array.from({ length: 20 }, () => store.update((s) => ({ ...s, count: s.count + 1 }))));
    expect(store.current.count).toBe(20);
    expect(JSON.parse(await readFile(store.file, "utf8")).count).toBe(20);
  });

  it("keeps a corrupt file aside and starts from the safe default", async () => {
    await writeFile(join(dir, "state.json"), "{ not json");
    const store = await StateStore.open(dir, schema);
    expect(store.current).toEqual({ version: 2, count: 0 });
    const names = await readdir(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^state\.json\.corrupt-/);
    expect(await readFile(join(dir, names[0] ?? ""), "utf8")).toBe("{ not json");
  });

  it("migrates an older version through the schema", async () => {
    await writeFile(join(dir, "state.json"), JSON.stringify({ version: 1, n: 41 }));
    const store = await StateStore.open(dir, schema);
    expect(store.current).toEqual({ version: 2, count: 41 });
  });

  it("a full disk claims no progress: memory and disk keep the previous state", async () => {
    const store = await StateStore.open(dir, schema);
    await store.update(() => ({ version: 2, count: 5 }));
    // The kernel's /dev/full answers every write with ENOSPC, exactly as a full disk does.
    await symlink("/dev/full", join(dir, "state.json.tmp"));
    await expect(store.update(() => ({ version: 2, count: 6 }))).rejects.toMatchObject({
      code: "STATE_WRITE_FAILED",
      context: { errno: "ENOSPC" },
    });
    expect(store.current.count).toBe(5);
    expect(JSON.parse(await readFile(store.file, "utf8")).count).toBe(5);
    // Space comes back: the next update lands.
    await store.update((s) => ({ ...s, count: s.count + 1 }));
    expect(JSON.parse(await readFile(store.file, "utf8")).count).toBe(6);
  });
});
