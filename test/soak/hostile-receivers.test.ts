/**
 * Issue 11's hostile-receiver tests end to end: for each way a receiver can misbehave
 * (src/emulator/receiver/hostile.ts, over real TCP) the built CLI runs as a child process — the
 * one-shot `sync` and the daemon `run` — against it and the strict Share emulator on loopback HTTP:
 *
 *   sync            to the end: a typed error with its documented exit code, or exit 0 with exactly
 *                   the valid readings on Share, in bounded time
 *   sync, SIGTERM   mid-read (a slow line keeps every reply 400 ms, a 30-day backfill): exit 130
 *   run             until it posted what is valid or says what it waits for (naming the error),
 *                   then SIGTERM: exit 0
 *   run, SIGTERM    mid-read, as for sync: exit 0
 *
 * Every run: peak resident memory (VmHWM) under 150 MiB, and a stop within 2 s of its signal. Each
 * case prints one line of figures (`hostile MODE CASE: {…}`). Plus the absurd range met with a cursor
 * left by a first, honest sync: one page asked, a typed error.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import {
  HOSTILE_MODES,
  type HostileMode,
  type HostileReceiver,
  startHostileReceiver,
} from "../../src/emulator/receiver/hostile.js";
import type { EgvRecord } from "../../src/emulator/receiver/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { RECEIVER_EPOCH_MS } from "../../src/time/epoch.js";
import { accountArgs } from "../support/cli.js";
import { TEST_EPOCH_MS } from "../support/epoch.js";
import { type MeasuredRun, runMeasured } from "../support/measured-process.js";

const USER = "carer";
const PASSWORD = "pw-for-tests";
const PEAK_LIMIT_MIB = 150;
const STOP_WITHIN_MS = 2000;
const PAGES_COMMAND = 0x11;
const EGV = 4;
/** G4 EGV records per page (13-byte records, receiver-protocol §4.2). */
const PER_PAGE = 38;
/** Readings at the edge of the window may fall either side of the sync's own cut: not judged. */
const EDGE_MS = 60_000;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

interface Bench {
  readonly hostile: HostileReceiver;
  readonly share: ShareEmulator;
  readonly dir: string;
  readonly args: string[];
}

async function bench(
  mode: HostileMode,
  options: { replyDelayMs?: number; honestConnections?: number } = {},
): Promise<Bench> {
  const hostile = await startHostileReceiver({
    mode,
    ...options,
    emulator: { profile: "g4", seed: 1, days: 30, now: () => TEST_EPOCH_MS },
  });
  cleanup.push(() => hostile.close());
  const share = await startShareEmulator({ accounts: [{ name: USER, password: PASSWORD }] });
  cleanup.push(() => share.close());
  const dir = await mkdtemp(join(tmpdir(), `sharebridge-hostile-${mode}-`));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "password"), `${PASSWORD}\n`);
  const args = accountArgs({
    device: hostile.device,
    server: share.url("us"),
    username: USER,
    passwordFile: join(dir, "password"),
    stateDir: join(dir, "state"),
  });
  return { hostile, share, dir, args };
}

function figures(
  mode: HostileMode,
  name: string,
  run: MeasuredRun,
  extra: Record<string, unknown> = {},
): void {
  const line = {
    code: run.code,
    elapsedMs: run.elapsedMs,
    peakMiB: run.peakMiB,
    ...(run.stopMs === undefined ? {} : { stopMs: run.stopMs }),
    ...extra,
  };
  console.log(`hostile ${mode} ${name}: ${JSON.stringify(line)}`);
}

/**
 * Share's entries against the receiver's real readings: the ones `kept` (by index) must be there
 * once with their value, inside the window the first post opened; nothing else may be.
 */
async function judge(b: Bench, kept: (index: number) => boolean) {
  // A daemon that never got to read the receiver has written no state: no offset, nothing posted.
  const text = await readFile(join(b.dir, "state", "state.json"), "utf8").catch(() => "{}");
  const offset = JSON.parse(text).receivers?.[b.hostile.emulator.serial]?.heldOffset?.offsetSeconds as number;
  const posts = b.share.requests.filter((r) => r.operation === "Publisher/PostReceiverEgvRecords");
  const windowStartMs = (posts[0]?.atMs ?? 0) - 24 * 3_600_000;
  const real = ((b.hostile.emulator.model.partitions[EGV]?.records ?? []) as EgvRecord[]).filter(
    (r) => !r.displayOnly && r.special === null,
  );
  const bySt = new Map(real.map((r) => [RECEIVER_EPOCH_MS + (r.systemSeconds + offset) * 1000, r]));
  const entries = b.share.account(USER).egvs;
  const seen = new Set<number>();
  const wrong = entries.filter((e) => {
    const r = bySt.get(e.stMs);
    const twice = seen.has(e.stMs);
    seen.add(e.stMs);
    return r === undefined || !kept(r.index) || r.glucose !== e.value || twice;
  });
  const missing = [...bySt].filter(
    ([st, r]) => st >= windowStartMs + EDGE_MS && kept(r.index) && !seen.has(st),
  );
  return { stored: entries.length, wrong: wrong.length, missing: missing.length };
}

/** What each mode's sync must end with. */
const SYNC_OUTCOME: Record<HostileMode, { code: number; error?: string; kept?: (index: number) => boolean }> =
  {
    "absurd-range": { code: EXIT.RECEIVER, error: "[RECEIVER_NAK]" },
    "shifted-replies": { code: EXIT.OK, kept: () => true },
    "malformed-multipage": { code: EXIT.OK, kept: () => true },
    // Every other record of every page is damaged (CRC good, values absurd): never posted.
    "damaged-records": { code: EXIT.OK, kept: (index) => (index % PER_PAGE) % 2 === 0 },
    "false-start-flood": { code: EXIT.OK, kept: () => true },
    "disconnect-every-byte": { code: EXIT.RECEIVER, error: "[DEVICE_DISCONNECTED]" },
  };

/** A log line the command writes once it is reading (a slow line keeps it there). */
const MID_READ: Record<HostileMode, string> = {
  "absurd-range": "receiver clock offset measured",
  "shifted-replies": "receiver clock offset measured",
  "malformed-multipage": "receiver clock offset measured",
  "damaged-records": "receiver clock offset measured",
  "false-start-flood": "receiver clock offset measured",
  "disconnect-every-byte": "reopening the receiver port",
};

describe.each(HOSTILE_MODES)("a hostile receiver: %s", (mode) => {
  const outcome = SYNC_OUTCOME[mode];

  it("sync ends in bounded time: a typed error with its exit code, or exactly the valid readings on Share", async () => {
    const b = await bench(mode);
    const run = await runMeasured(["sync", ...b.args], { limitMs: 60_000 });
    const judged = await judge(b, outcome.kept ?? (() => false));
    figures(mode, "sync", run, {
      posted: judged.stored,
      pageRequests: b.hostile.stats.requests[PAGES_COMMAND] ?? 0,
    });
    expect(run.code).toBe(outcome.code);
    expect(run.output).toContain(outcome.error ?? "posted ");
    expect(run.elapsedMs).toBeLessThan(15_000);
    expect(run.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
    expect(judged).toMatchObject({ wrong: 0, missing: 0 });
    expect(judged.stored > 0).toBe(outcome.kept !== undefined);
  });

  it("SIGTERM mid-read ends sync within 2 s, exit 130", async () => {
    const b = await bench(mode, { replyDelayMs: 400 });
    const run = await runMeasured(["sync", ...b.args, "--backfill-hours", "720"], {
      stopAt: { marker: MID_READ[mode], signal: "SIGTERM" },
      limitMs: 90_000,
    });
    figures(mode, "sync SIGTERM mid-read", run);
    expect(run.code).toBe(EXIT.INTERRUPTED);
    expect(run.stopMs).toBeLessThan(STOP_WITHIN_MS);
    expect(run.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
  });

  it("the daemon posts what is valid or says what it waits for, naming the error; SIGTERM ends it within 2 s", async () => {
    const b = await bench(mode);
    const milestone = outcome.kept === undefined ? `waiting for` : "readings posted";
    const run = await runMeasured(["run", ...b.args], {
      stopAt: { marker: milestone, signal: "SIGTERM" },
      limitMs: 90_000,
    });
    const judged = await judge(b, outcome.kept ?? (() => false));
    figures(mode, "run", run, { posted: judged.stored });
    expect(run.code).toBe(EXIT.OK);
    expect(run.output).toContain(outcome.error ?? '"msg":"readings posted"');
    expect(run.stopMs).toBeLessThan(STOP_WITHIN_MS);
    expect(run.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
    expect(judged).toMatchObject({ wrong: 0, missing: 0 });
  });

  it("SIGTERM mid-read ends the daemon within 2 s, exit 0", async () => {
    const b = await bench(mode, { replyDelayMs: 400 });
    const run = await runMeasured(["run", ...b.args, "--backfill-hours", "720"], {
      stopAt: { marker: MID_READ[mode], signal: "SIGTERM" },
      limitMs: 90_000,
    });
    figures(mode, "run SIGTERM mid-read", run);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stopMs).toBeLessThan(STOP_WITHIN_MS);
    expect(run.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
  });
});

describe("an absurd page range met with a cursor", () => {
  it("a first honest sync leaves the cursor; then 0..0xFFFFFFFE: one EGV page asked, exit 3, nothing posted twice", async () => {
    const b = await bench("absurd-range", { honestConnections: 1 });
    const first = await runMeasured(["sync", ...b.args], { limitMs: 60_000 });
    expect(first.code).toBe(EXIT.OK);
    const stored = b.share.account(USER).egvs.length;
    const pagesBefore = b.hostile.stats.requests[PAGES_COMMAND] ?? 0;
    const run = await runMeasured(["sync", ...b.args], { limitMs: 60_000 });
    const pageRequests = (b.hostile.stats.requests[PAGES_COMMAND] ?? 0) - pagesBefore;
    figures("absurd-range", "sync with a cursor", run, { pageRequests });
    expect(run.code).toBe(EXIT.RECEIVER);
    expect(run.output).toContain("[RECEIVER_NAK]");
    // The manufacturing page (the serial, once per connection) and the range's last EGV page.
    expect(pageRequests).toBe(2);
    expect(run.elapsedMs).toBeLessThan(15_000);
    expect(run.peakMiB).toBeLessThan(PEAK_LIMIT_MIB);
    expect(b.share.account(USER).egvs).toHaveLength(stored);
  });
});
