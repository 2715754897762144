import { execFileSync } from "node:child_process";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import {
  inspectStateFile,
  openTemporaryExclusive,
  type StateSchema,
  StateStore,
} from "../../src/sync/state-store.js";
import { logSink } from "../share/support/log-sink.js";
import { DIST_URL, giveToService, IS_ROOT, runNode, SERVICE_UID } from "./support/processes.js";

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

/** A fixed instant, so that nothing here reads the wall clock. */
const EPOCH_MS = Date.UTC(2025, 0, 15, 12, 0, 0);
const fixedClock = { now: () => EPOCH_MS };

/** What stands for /etc/shadow: a file outside the state directory whose bytes must never be shown. */
const SECRET = "root:$y$j9T$hunter2-SECRET-BYTES:19000:0:99999:7:::";

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
    expect((await stat(join(dir, "nested"))).mode & 0o777).toBe(0o700);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    const again = await StateStore.open(join(dir, "nested"), schema);
    expect(again.current.count).toBe(2);
  });

  it("serialises concurrent updates", async () => {
    const store = await StateStore.open(dir, schema);
    await Promise.all(Array.from({ length: 20 }, () => store.update((s) => ({ ...s, count: s.count + 1 }))));
    expect(store.current.count).toBe(20);
    expect(JSON.parse(await readFile(store.file, "utf8")).count).toBe(20);
  });

  it("keeps a file that is not JSON aside and names the line and column, never its contents", async () => {
    await writeFile(join(dir, "state.json"), `{\n  "version": 2,\n  ${SECRET}\n}\n`);
    const sink = logSink();
    const store = await StateStore.open(dir, schema, { log: sink.log, clock: fixedClock });
    expect(store.current).toEqual({ version: 2, count: 0 });
    expect(await readdir(dir)).toEqual(["state.json.corrupt-2025-01-15T12-00-00-000Z"]);
    expect(await readFile(join(dir, "state.json.corrupt-2025-01-15T12-00-00-000Z"), "utf8")).toContain(
      SECRET,
    );
    const [line] = sink.lines();
    expect(line).toMatchObject({
      level: 50,
      file: join(dir, "state.json"),
      keptAs: join(dir, "state.json.corrupt-2025-01-15T12-00-00-000Z"),
      reason: "not JSON: line 3, column 3: expected a property name in double quotes",
    });
    expect(sink.text()).not.toContain("hunter2");
    expect(sink.text()).not.toContain("root:");
  });

  it("keeps a document its schema refuses aside, with the schema's reason", async () => {
    await writeFile(join(dir, "state.json"), JSON.stringify({ version: 7, count: "x" }));
    const sink = logSink();
    await StateStore.open(dir, schema, { log: sink.log, clock: fixedClock });
    expect(sink.lines()[0]?.["reason"]).toBe("not a counter document");
  });

  it("migrates an older version through the schema", async () => {
    await writeFile(join(dir, "state.json"), JSON.stringify({ version: 1, n: 41 }));
    const store = await StateStore.open(dir, schema);
    expect(store.current).toEqual({ version: 2, count: 41 });
  });

  it("a state file linked to another file is moved aside unread; the link's target is untouched", async () => {
    const outside = await mkdtemp(join(tmpdir(), "sharebridge-outside-"));
    try {
      const shadow = join(outside, "shadow");
      await writeFile(shadow, SECRET);
      await symlink(shadow, join(dir, "state.json"));
      const sink = logSink();
      const store = await StateStore.open(dir, schema, { log: sink.log, clock: fixedClock });
      expect(store.current).toEqual({ version: 2, count: 0 });
      const aside = join(dir, "state.json.corrupt-2025-01-15T12-00-00-000Z");
      expect(await readlink(aside)).toBe(shadow);
      expect(sink.lines()[0]?.["reason"]).toBe(
        "a symbolic link (sharebridge follows no links in its state directory)",
      );
      expect(sink.text()).not.toContain("hunter2");
      await store.update(() => ({ version: 2, count: 3 }));
      expect(await readFile(shadow, "utf8")).toBe(SECRET);
      expect((await lstat(store.file)).isFile()).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("a directory in the state file's place is moved aside, and so is a file over 1 MiB", async () => {
    await mkdir(join(dir, "state.json"));
    const sink = logSink();
    await StateStore.open(dir, schema, { log: sink.log, clock: fixedClock });
    expect(sink.lines()[0]?.["reason"]).toBe("not a regular file but a directory");
    await rm(join(dir, "state.json.corrupt-2025-01-15T12-00-00-000Z"), { recursive: true });

    await writeFile(join(dir, "state.json"), Buffer.alloc(1024 * 1024 + 1, 0x20));
    await StateStore.open(dir, schema, { log: sink.log, clock: fixedClock });
    expect(sink.lines()[1]?.["reason"]).toBe("larger than 1048576 bytes");
  });

  it("a FIFO in the state file's place is moved aside without blocking on it", async () => {
    execFileSync("mkfifo", [join(dir, "state.json")]);
    const sink = logSink();
    await StateStore.open(dir, schema, { log: sink.log, clock: fixedClock });
    expect(sink.lines()[0]?.["reason"]).toBe("not a regular file but a FIFO");
  });

  it("each write goes to a fresh, exclusively created temp file; a planted link is never followed", async () => {
    const victim = join(dir, "..", `${join(dir).split("/").pop()}-victim`);
    await writeFile(victim, "untouched");
    try {
      await symlink(victim, join(dir, "state.json.tmp"));
      const temps: string[] = [];
      const store = await StateStore.open(dir, schema, {
        openTemporary: (path) => {
          temps.push(path);
          return openTemporaryExclusive(path);
        },
      });
      await store.update(() => ({ version: 2, count: 1 }));
      await store.update(() => ({ version: 2, count: 2 }));
      expect(temps).toHaveLength(2);
      expect(new Set(temps).size).toBe(2);
      for (const temp of temps) expect(temp).toMatch(/\/state\.json\.[0-9a-f]{16}\.tmp$/);
      expect(await readFile(victim, "utf8")).toBe("untouched");
      expect((await readdir(dir)).sort()).toEqual(["state.json", "state.json.tmp"]);
      // The exclusive create itself refuses a name that exists, a link included, without touching it.
      await expect(openTemporaryExclusive(join(dir, "state.json.tmp"))).rejects.toMatchObject({
        code: "EEXIST",
      });
      expect(await readFile(victim, "utf8")).toBe("untouched");
    } finally {
      await rm(victim, { force: true });
    }
  });

  it("removes temp files a crash left behind (older than 10 minutes), and keeps younger ones", async () => {
    const old = join(dir, "state.json.0123456789abcdef.tmp");
    const legacy = join(dir, "state.json.tmp");
    const young = join(dir, "state.json.fedcba9876543210.tmp");
    for (const path of [old, legacy, young]) await writeFile(path, "{");
    const at = (ms: number) => new Date(ms);
    await utimes(old, at(EPOCH_MS - 11 * 60_000), at(EPOCH_MS - 11 * 60_000));
    await utimes(legacy, at(EPOCH_MS - 60 * 60_000), at(EPOCH_MS - 60 * 60_000));
    await utimes(young, at(EPOCH_MS - 9 * 60_000), at(EPOCH_MS - 9 * 60_000));
    await StateStore.open(dir, schema, { clock: fixedClock });
    expect(await readdir(dir)).toEqual(["state.json.fedcba9876543210.tmp"]);
  });

  it("a full disk claims no progress: memory and disk keep the previous state", async () => {
    let full = false;
    const store = await StateStore.open(dir, schema, {
      // The kernel's /dev/full answers every write with ENOSPC, exactly as a full disk does.
      openTemporary: (path) => (full ? open("/dev/full", "w") : openTemporaryExclusive(path)),
    });
    await store.update(() => ({ version: 2, count: 5 }));
    full = true;
    await expect(store.update(() => ({ version: 2, count: 6 }))).rejects.toMatchObject({
      code: "STATE_WRITE_FAILED",
      context: {
        errno: "ENOSPC",
        fix: "free some space on that file system; sharebridge saves again at its next step",
      },
    });
    expect(store.current.count).toBe(5);
    expect(JSON.parse(await readFile(store.file, "utf8")).count).toBe(5);
    // Space comes back: the next update lands.
    full = false;
    await store.update((s) => ({ ...s, count: s.count + 1 }));
    expect(JSON.parse(await readFile(store.file, "utf8")).count).toBe(6);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("refuses a state directory others may write to, with the fix", async () => {
    await chmod(dir, 0o770);
    const error = await StateStore.open(dir, schema).catch((e: unknown) => e);
    expect(isSharebridgeError(error, "STATE_PERMISSION")).toBe(true);
    expect(error).toMatchObject({
      message: `the state directory ${dir} is writable by its group (mode 0770): anyone who may write there could replace the state file [STATE_PERMISSION]`,
      context: { fix: `chmod go-w ${dir} (sharebridge creates it with mode 0700)` },
    });
    await chmod(dir, 0o703);
    await expect(StateStore.open(dir, schema)).rejects.toMatchObject({
      message: expect.stringContaining("is writable by others (mode 0703)"),
    });
  });

  it("refuses a directory that belongs to another user, unless it runs as root", async () => {
    const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const other = { uid: self.uid + 4242, gid: self.gid };
    await expect(StateStore.open(dir, schema, { identity: other })).rejects.toMatchObject({
      code: "STATE_PERMISSION",
      message: `the state directory ${dir} belongs to uid ${self.uid}, and sharebridge runs as uid ${other.uid} [STATE_PERMISSION]`,
      context: { uid: other.uid, fix: expect.stringContaining(`sudo -u '#${self.uid}' sharebridge`) },
    });
  });

  it("a stateDir that is a file is a configuration error", async () => {
    await writeFile(join(dir, "file"), "");
    await expect(StateStore.open(join(dir, "file"), schema)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      context: { key: "stateDir" },
    });
  });
});

describe("state store across users (real processes)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-state-users-"));
    await giveToService(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const openAndCount = `
    import { inspectStateFile, StateStore } from "${DIST_URL}sync/state-store.js";
    const schema = {
      empty: () => ({ version: 2, count: 0 }),
      parse: (d) => { if (d.version !== 2) throw new Error("not a counter document"); return d; },
    };
    try {
      const store = await StateStore.open(process.argv[1], schema);
      console.log(JSON.stringify({ count: store.current.count }));
      if (process.argv[2] === "bump") await store.update((s) => ({ ...s, count: s.count + 1 }));
    } catch (error) {
      console.log(JSON.stringify({ code: error.code, message: error.message, context: error.context }));
    }
    console.log(JSON.stringify(await inspectStateFile(process.argv[1] + "/state.json", schema.parse)));`;

  it("a state file that cannot be read is STATE_PERMISSION with its fix, and stays where it is", async () => {
    const file = join(dir, "state.json");
    await writeFile(file, JSON.stringify({ version: 2, count: 9 }));
    await chmod(file, 0o000);
    // As root, the file belongs to root (an older sharebridge run with sudo) and the service reads it.
    const result = await runNode(openAndCount, [dir], { asService: true });
    const [answer, inspection] = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(inspection).toEqual({ state: "unreadable", problem: "cannot read it (EACCES)" });
    expect(answer).toEqual({
      code: "STATE_PERMISSION",
      message: `cannot read the state file ${file}: EACCES (sharebridge runs as uid ${SERVICE_UID}) [STATE_PERMISSION]`,
      context: {
        path: file,
        errno: "EACCES",
        uid: SERVICE_UID,
        fix: `give it to the state directory's owner: sudo chown --reference=${dir} ${file} (an older sharebridge run with sudo may have left it owned by root)`,
      },
    });
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it.runIf(IS_ROOT)(
    "root writing into the service's directory leaves files the service owns and reads",
    async () => {
      const root = await StateStore.open(dir, schema);
      await root.update(() => ({ version: 2, count: 41 }));
      const info = await stat(root.file);
      expect([info.uid, info.mode & 0o777]).toEqual([SERVICE_UID, 0o600]);
      const service = await runNode(openAndCount, [dir, "bump"], { asService: true });
      expect(service.stdout.split("\n")[0]).toBe('{"count":41}');
      expect(JSON.parse(await readFile(root.file, "utf8")).count).toBe(42);
      expect((await stat(root.file)).uid).toBe(SERVICE_UID);
    },
  );

  it.runIf(IS_ROOT)(
    "a state directory root creates in the service's directory is the service's too",
    async () => {
      const store = await StateStore.open(join(dir, "a", "b"), schema);
      await store.update(() => ({ version: 2, count: 1 }));
      const owners = await Promise.all(
        [join(dir, "a"), join(dir, "a", "b"), store.file].map(async (p) => (await stat(p)).uid),
      );
      expect(owners).toEqual([SERVICE_UID, SERVICE_UID, SERVICE_UID]);
    },
  );

  it.runIf(IS_ROOT)("the service refuses a directory that belongs to root, naming both uids", async () => {
    const rootDir = join(dir, "root-owned");
    await mkdir(rootDir, { mode: 0o755 });
    const result = await runNode(openAndCount, [rootDir], { asService: true });
    expect(JSON.parse(result.stdout.split("\n")[0] ?? "")).toMatchObject({
      code: "STATE_PERMISSION",
      message: `the state directory ${rootDir} belongs to uid 0, and sharebridge runs as uid ${SERVICE_UID} [STATE_PERMISSION]`,
    });
  });
});

describe("inspectStateFile (status, doctor)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-inspect-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads without repairing, and never quotes the file", async () => {
    const file = join(dir, "state.json");
    expect(await inspectStateFile(file, schema.parse)).toEqual({ state: "absent", problem: null });
    await writeFile(file, SECRET);
    expect(await inspectStateFile(file, schema.parse)).toEqual({
      state: "corrupt",
      problem: "not JSON: line 1, column 1: expected a value",
    });
    await rm(file);
    await symlink(join(dir, "elsewhere"), file);
    expect(await inspectStateFile(file, schema.parse)).toEqual({
      state: "corrupt",
      problem: "a symbolic link (sharebridge follows no links in its state directory)",
    });
    await rm(file);
    await writeFile(file, JSON.stringify({ version: 2, count: 3 }));
    expect(await inspectStateFile(file, schema.parse)).toEqual({
      state: "ok",
      document: { version: 2, count: 3 },
    });
    expect(await readdir(dir)).toEqual(["state.json"]);
  });
});
