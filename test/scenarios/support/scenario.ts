/**
 * A reliability scenario: the real daemon against both emulators over real transports — the receiver
 * emulator served on TCP (raw socket, as ser2net would) or on a pseudo-terminal (socat, opened
 * through `serialport` like /dev/ttyACM0), Share on loopback HTTP — on daemon time the test steps.
 *
 * Time: the daemon's clock is the bench's fake clock (test/sync/support/daemon-bench.ts), which the
 * receiver emulator's clocks and live readings and the Share emulator's sessions follow too. A sleep
 * of the daemon moves it forward; `realTimeFactor` makes each sleep also take real time (fake ms per
 * real ms), for scenarios where something happens on real time, like a pty coming back after an
 * unplug. Link timeouts, TCP and the pty always run on real time.
 *
 * Stepping: `runUntil(predicate)` lets the daemon run and parks it at the start of the first sleep
 * where the predicate holds, i.e. between two of its steps; the test then acts (a fault on, Share
 * down, a receiver swapped) and lets it run again. The order of events is therefore the same on every
 * run, whatever the machine's speed.
 */
import { join } from "node:path";
import { Writable } from "node:stream";
import type { ReceiverEmulator } from "../../../src/emulator/receiver/index.js";
import type { ShareEmulator } from "../../../src/emulator/share/index.js";
import { createLogger } from "../../../src/log.js";
import { serialOpener } from "../../../src/receiver/transports/serial.js";
import { tcpOpener } from "../../../src/receiver/transports/tcp.js";
import type { Daemon, DaemonClock, DaemonOptions } from "../../../src/sync/daemon.js";
import type { ShareAccess } from "../../../src/sync/share-access.js";
import type { SyncState } from "../../../src/sync/state.js";
import type { StateStore } from "../../../src/sync/state-store.js";
import { RECEIVER_EPOCH_MS } from "../../../src/time/epoch.js";
import { readingSystemSeconds } from "../../../src/time/share-times.js";
import {
  type DaemonBench,
  type DaemonBenchOptions,
  daemonBench,
  USER,
} from "../../sync/support/daemon-bench.js";
import { type Counts, heldOffsets, Ledger, type TallyOptions, tally } from "./accounting.js";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** Real time a scenario step may take before the test gives up with a description. */
const REAL_LIMIT_MS = 60_000;

export type TransportKind = "tcp" | "pty";

export interface ScenarioOptions extends Omit<DaemonBenchOptions, "log"> {
  readonly transport: TransportKind;
  /** Fake ms per real ms while the daemon sleeps (default: sleeps take no real time). */
  readonly realTimeFactor?: number;
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface RunningDaemon {
  readonly daemon: Daemon;
  readonly store: StateStore<SyncState>;
  readonly access: ShareAccess;
  /**
   * Runs the daemon until `predicate` holds between two of its steps; fails (naming `what` and what
   * the daemon waits for) when `maxFakeMs` of daemon time pass first.
   */
  runUntil(predicate: () => boolean, maxFakeMs: number, what: string): Promise<void>;
  /** Runs the daemon for `fakeMs` of its time (to the first step boundary after it). */
  runFor(fakeMs: number): Promise<void>;
  /** Share holds the newest real reading of the connected receiver. */
  caughtUp(): boolean;
  /** Aborts the daemon as SIGTERM would and waits until it stopped. */
  stop(): Promise<void>;
}

export interface Scenario {
  readonly bench: DaemonBench;
  readonly receiver: ReceiverEmulator;
  readonly share: ShareEmulator;
  readonly ledger: Ledger;
  readonly logs: LogLine[];
  readonly transport: TransportKind;
  start(overrides?: Partial<DaemonOptions>): Promise<RunningDaemon>;
  /** Captures the current receiver and counts, with the offsets from the state file. */
  tally(options: TallyOptions): Promise<Counts>;
  /** Requests Share received for `operation` (e.g. "General/AuthenticatePublisherAccount"). */
  count(operation: string): number;
  /**
   * Daemon time of the first post Share accepted: the backfill window of a first run ends there
   * (the cycle that posts computes its cutoff on the same, unmoving, fake instant).
   */
  firstPostAtMs(): number;
  close(): Promise<void>;
}

interface Gate {
  readonly predicate: () => boolean;
  readonly deadline: number;
  readonly reached: () => void;
}

/** The fake clock of the bench, with a checkpoint at the start of every sleep. */
class SteppedClock implements DaemonClock {
  readonly #bench: DaemonBench;
  readonly #factor: number | undefined;
  #gate: Gate | undefined;
  #resume: (() => void) | undefined;

  constructor(bench: DaemonBench, factor: number | undefined) {
    this.#bench = bench;
    this.#factor = factor;
  }

  now(): number {
    return this.#bench.now;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const gate = this.#gate;
    if (gate !== undefined && (this.#bench.now >= gate.deadline || gate.predicate())) {
      this.#gate = undefined;
      await new Promise<void>((resume) => {
        this.#resume = resume;
        gate.reached();
      });
      if (signal.aborted) return;
    }
    this.#bench.now += ms;
    if (this.#factor === undefined) await new Promise((resolve) => setImmediate(resolve));
    else await realDelay(ms / this.#factor, signal);
  }

  /** Resolves when the daemon parks at a sleep where `predicate` holds or the deadline passed. */
  park(predicate: () => boolean, deadline: number): Promise<void> {
    const reached = new Promise<void>((resolve) => {
      this.#gate = { predicate, deadline, reached: resolve };
    });
    this.release();
    return reached;
  }

  release(): void {
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
  }
}

function realDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function withRealLimit<T>(promise: Promise<T>, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no progress in ${REAL_LIMIT_MS} ms: ${describe()}`)),
      REAL_LIMIT_MS,
    );
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The newest real reading's ST on the receiver, ms, with the offset the daemon holds for it. */
function newestReadingSt(receiver: ReceiverEmulator, offsetSeconds: number): number | undefined {
  const records = receiver.model.partitions[4]?.records ?? [];
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i];
    if (record?.kind !== "egv" || record.displayOnly || record.special !== null) continue;
    return RECEIVER_EPOCH_MS + (readingSystemSeconds(record) + offsetSeconds) * 1000;
  }
  return undefined;
}

export async function scenario(options: ScenarioOptions): Promise<Scenario> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() !== "") logs.push(JSON.parse(line) as LogLine);
      }
      callback();
    },
  });
  const log = createLogger({ level: "info", destination: sink, pretty: false });
  const bench = await daemonBench({ ...options, log });
  const { receiver, share } = bench;
  if (options.transport === "tcp") {
    const listener = await receiver.listenTcp("127.0.0.1", 0);
    bench.opener = tcpOpener("127.0.0.1", listener.port, { connectTimeoutMs: 2000 });
  } else {
    const pty = await receiver.servePty(join(bench.dir, "ttyDexcom"));
    bench.opener = serialOpener(pty.path, { openTimeoutMs: 2000 });
  }
  const ledger = new Ledger();
  const running = new Set<RunningDaemon>();

  const self: Scenario = {
    bench,
    receiver,
    share,
    ledger,
    logs,
    transport: options.transport,
    async start(overrides = {}) {
      const clock = new SteppedClock(bench, options.realTimeFactor);
      const { daemon, store, access } = await bench.daemon({ clock, ...overrides });
      const controller = new AbortController();
      let finished = false;
      const done = daemon.run(controller.signal).finally(() => {
        finished = true;
      });
      const describe = () => {
        const s = daemon.snapshot();
        return `daemon ${s.phase}${s.waitingFor === undefined ? "" : ` waiting for ${s.waitingFor}`}, cycles ${JSON.stringify(s.cycles)}`;
      };
      const handle: RunningDaemon = {
        daemon,
        store,
        access,
        async runUntil(predicate, maxFakeMs, what) {
          if (finished) throw new Error(`${what}: the daemon is not running`);
          const deadline = bench.now + maxFakeMs;
          await withRealLimit(
            Promise.race([clock.park(predicate, deadline), done]),
            () => `${what}; ${describe()}`,
          );
          if (finished) throw new Error(`${what}: the daemon stopped (${describe()})`);
          if (!predicate()) {
            throw new Error(`${what}: not within ${maxFakeMs / HOUR} h of daemon time (${describe()})`);
          }
        },
        async runFor(fakeMs) {
          const until = bench.now + fakeMs;
          await handle.runUntil(() => bench.now >= until, fakeMs + HOUR, `${fakeMs / HOUR} h`);
        },
        caughtUp() {
          const serial = receiver.serial;
          const offset = store.current.receivers[serial.toUpperCase()]?.heldOffset?.offsetSeconds;
          if (offset === undefined) return false;
          const newest = newestReadingSt(receiver, offset);
          const onShare = share
            .account(USER)
            .egvs.filter((e) => e.sn === serial)
            .reduce((max, e) => Math.max(max, e.stMs), Number.NEGATIVE_INFINITY);
          return newest !== undefined && onShare >= newest;
        },
        async stop() {
          if (!running.delete(handle)) return;
          controller.abort();
          clock.release();
          await withRealLimit(done, () => `stopping; ${describe()}`);
          await access.close();
        },
      };
      running.add(handle);
      return handle;
    },
    async tally(tallyOptions) {
      ledger.capture(receiver);
      const offsets = await heldOffsets(join(bench.config.stateDir, "state.json"));
      return tally(ledger, share, USER, offsets, tallyOptions);
    },
    count(operation) {
      return share.count(operation);
    },
    firstPostAtMs() {
      const first = share.requests.find(
        (r) =>
          r.operation === "Publisher/PostReceiverEgvRecords" &&
          (r.status === 200 || r.code === "DuplicateEgvPosted"),
      );
      if (first === undefined) throw new Error("Share accepted no post");
      return first.atMs;
    },
    async close() {
      for (const handle of [...running]) await handle.stop().catch(() => undefined);
      await bench.close();
    },
  };
  return self;
}
