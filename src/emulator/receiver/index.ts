/**
 * The byte-exact receiver emulator (spec receiver-protocol §7, DESIGN.md §9): a Dexcom receiver
 * with a generated database, served in-process, over TCP or on a pty.
 *
 *   const emu = createReceiverEmulator({ profile: "g5", seed: 7, days: 30, live: { intervalSeconds: 2 } });
 *   const link = await emu.opener()(sink);          // in-process, one connection per call
 *   const { port } = await emu.listenTcp("127.0.0.1", 0);
 *   const pty = await emu.servePty("/tmp/dexcom");   // open /tmp/dexcom like /dev/ttyACM0
 *   emu.model.partitions[4].records                   // the EGVs as plain objects
 *   await emu.close();
 */
import { SharebridgeError } from "../../errors.js";
import type { TransportOpener } from "../../receiver/transport.js";
import { createMemoryPair } from "../../receiver/transports/memory.js";
import type { HandlerContext } from "./command-handler.js";
import { type ErrorPolicy, resolveErrorPolicy } from "./error-policy.js";
import { checkFaultSpec, FaultInjector, type FaultSpec, parseFaultSpec } from "./faults.js";
import type { ModelPartition } from "./model.js";
import { type ReceiverEmulatorOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { Prng } from "./prng.js";
import { getProfile, type ProfileId } from "./profiles.js";
import { EmulatedReceiver } from "./receiver.js";
import { PtyServer } from "./server-pty.js";
import { listenTcp as listenOnTcp, type TcpListener } from "./server-tcp.js";
import { type DeviceLink, EmulatorSession } from "./session.js";
import { createStats, type EmulatorStats } from "./stats.js";

export type { ErrorPolicy } from "./error-policy.js";
export type { FaultSpec } from "./faults.js";
export { parseFaultSpec } from "./faults.js";
export * from "./model.js";
export type { ReceiverEmulatorOptions } from "./options.js";
export { PROFILE_IDS, type ProfileId } from "./profiles.js";
export type { EmulatorStats } from "./stats.js";
export { trendFromRate } from "./trend.js";

export interface EmulatorClockView {
  readonly systemTime: number;
  readonly rtc: number;
  readonly systemTimeOffset: number;
  readonly displayTimeOffset: number;
  readonly displayTime: number;
}

/** The generated receiver as plain data, for tests to compare decoded records with. */
export interface EmulatorModel {
  readonly profile: ProfileId;
  readonly serial: string;
  readonly transmitterId: string;
  readonly firmwareHeader: string;
  readonly partitionInfo: string;
  readonly clock: EmulatorClockView;
  /** By record type; partitions the profile lacks are absent. */
  readonly partitions: Readonly<Record<number, ModelPartition>>;
}

export interface PtyHandle {
  readonly path: string;
  /** Resolves when the pty exists and is served (after an unplug: once it is back). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface SwapOptions {
  readonly seed: number;
  readonly profile?: ProfileId;
  readonly serial?: string;
}

export class ReceiverEmulator {
  readonly stats: EmulatorStats = createStats();
  #options: ResolvedOptions;
  #receiver: EmulatedReceiver;
  #policy: ErrorPolicy;
  readonly #faults: FaultInjector;
  readonly #latency: Prng | undefined;
  readonly #sessions = new Set<EmulatorSession>();
  readonly #tcp = new Set<TcpListener>();
  readonly #ptys = new Set<PtyServer>();
  #liveTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ReceiverEmulatorOptions = {}) {
    this.#options = resolveOptions(options);
    const prng = new Prng(this.#options.seed);
    this.#receiver = this.#build(this.#options);
    this.#policy = this.#options.errorPolicy;
    this.#faults = new FaultInjector(this.#options.faults, prng.fork("faults"), this.stats.faults);
    this.#latency = this.#options.realistic ? prng.fork("latency") : undefined;
    if (this.#options.liveIntervalSeconds !== undefined) {
      const everyMs = Math.min(60_000, Math.max(200, this.#options.liveIntervalSeconds * 1000));
      this.#liveTimer = setInterval(() => this.#advance(), everyMs);
      this.#liveTimer.unref();
    }
  }

  #build(options: ResolvedOptions): EmulatedReceiver {
    return new EmulatedReceiver({
      profile: options.profile,
      seed: options.seed,
      days: options.days,
      now: options.now,
      liveIntervalSeconds: options.liveIntervalSeconds,
      serial: options.serial,
      transmitterId: options.transmitterId,
      maxPages: options.maxPages,
      clock: options.clock,
      replay: options.replay,
      salt: options.salt,
    });
  }

  #advance(): void {
    try {
      this.#receiver.advance();
    } catch (error) {
      this.#options.log.error({ err: error }, "emulator: live update failed");
    }
  }

  get profile(): ProfileId {
    return this.#receiver.profile.id;
  }

  get serial(): string {
    return this.#receiver.identity.serial;
  }

  get clock(): EmulatorClockView {
    const c = this.#receiver.clock;
    return {
      systemTime: c.systemTime,
      rtc: c.rtc,
      systemTimeOffset: c.systemTimeOffset,
      displayTimeOffset: c.displayOffset,
      displayTime: c.displayTime,
    };
  }

  /** The database as plain objects, brought up to date first in live mode. Do not mutate. */
  get model(): EmulatorModel {
    this.#advance();
    const rx = this.#receiver;
    return {
      profile: rx.profile.id,
      serial: rx.identity.serial,
      transmitterId: rx.identity.transmitterId,
      firmwareHeader: rx.firmwareHeaderXml,
      partitionInfo: rx.partitionInfoXml,
      clock: this.clock,
      partitions: rx.db.snapshot(),
    };
  }

  /** Every page of a partition, first to last, as the receiver would send them (empty when none). */
  pages(recordType: number): Uint8Array[] {
    this.#advance();
    const partition = this.#receiver.db.partition(recordType);
    const range = partition?.range();
    if (partition === undefined || range === undefined) return [];
    const out: Uint8Array[] = [];
    for (let page = range.firstPage; page <= range.lastPage; page++) {
      const bytes = partition.page(page);
      if (bytes !== undefined) out.push(bytes);
    }
    return out;
  }

  #context(): HandlerContext {
    return {
      receiver: this.#receiver,
      policy: this.#policy,
      pagesPerRequest: this.#options.pagesPerRequest,
      chargerCurrentWidth: this.#options.chargerCurrentWidth,
      onDangerous: (commandId) =>
        this.#options.log.warn({ commandId }, "emulator: received a command a driver must never send"),
    };
  }

  #startSession(link: DeviceLink): EmulatorSession {
    const session = new EmulatorSession(link, {
      context: () => this.#context(),
      policy: () => this.#policy,
      faults: this.#faults,
      latency: this.#latency,
      stats: this.stats,
      log: this.#options.log,
      onClosed: (s) => this.#sessions.delete(s),
    });
    this.#sessions.add(session);
    return session;
  }

  #checkOpen(): void {
    if (this.#closed) throw new SharebridgeError("DEVICE_NOT_FOUND", "the receiver emulator is closed", {});
  }

  /** In-process serving: each call is a new connection over a memory pair, as if plugged in. */
  opener(): TransportOpener {
    return async (sink) => {
      this.#checkOpen();
      const { host, device } = createMemoryPair(`emulator:${this.profile}`);
      host.attach(sink);
      const session = this.#startSession({
        description: device.description,
        write: (bytes) => device.write(bytes),
        unplug: () => device.unplug(),
        close: () => device.close(),
      });
      device.attach(session);
      return host;
    };
  }

  /** Serves raw TCP; port 0 picks a free port. Binds loopback by default. */
  async listenTcp(host = "127.0.0.1", port = 0): Promise<TcpListener> {
    this.#checkOpen();
    const listener = await listenOnTcp(host, port, (link) => this.#startSession(link), this.#options.log);
    this.#tcp.add(listener);
    return {
      host: listener.host,
      port: listener.port,
      close: async () => {
        this.#tcp.delete(listener);
        await listener.close();
      },
    };
  }

  /** Serves a pseudo-terminal at `path` (through socat; `path.device` is the emulator's end). */
  async servePty(path: string): Promise<PtyHandle> {
    this.#checkOpen();
    const server = await PtyServer.start({
      path,
      startSession: (link) => this.#startSession(link),
      log: this.#options.log,
      replugDelayMs: this.#options.replugDelayMs,
    });
    this.#ptys.add(server);
    return {
      path: server.path,
      ready: () => server.ready(),
      close: async () => {
        this.#ptys.delete(server);
        await server.close();
      },
    };
  }

  /** Hot-unplug every current connection (a pty comes back after `replugDelayMs`). */
  unplug(): void {
    for (const session of [...this.#sessions]) session.unplug();
  }

  /** EraseDatabase: every record partition empties and its indexes restart at 0 (types 0–2 stay). */
  eraseDatabase(): void {
    this.#advance();
    this.#receiver.db.erase();
  }

  /** Storage wrap on demand: drops the oldest `count` pages of a partition; returns how many went. */
  dropOldestPages(recordType: number, count = 1): number {
    this.#advance();
    return this.#receiver.db.partition(recordType)?.dropPages(count) ?? 0;
  }

  /** A different receiver on the same cable: new identity and database; current connections drop. */
  swapReceiver(swap: number | SwapOptions): void {
    const { seed, profile, serial } = typeof swap === "number" ? { seed: swap } : swap;
    const options: ResolvedOptions = {
      ...this.#options,
      seed: resolveOptions({ seed }).seed,
      profile: profile === undefined ? this.#options.profile : getProfile(profile),
      serial,
      transmitterId: undefined,
      // Another receiver: none of the replayed pages are its own.
      replay: undefined,
    };
    const receiver = this.#build(options);
    this.#options = options;
    this.#receiver = receiver;
    this.unplug();
  }

  setFaults(spec: FaultSpec | string): void {
    this.#faults.spec = typeof spec === "string" ? parseFaultSpec(spec) : checkFaultSpec(spec);
  }

  setErrorPolicy(policy: Partial<ErrorPolicy>): void {
    this.#policy = resolveErrorPolicy({ ...this.#policy, ...policy });
  }

  /** Stops timers, servers, socat and connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#liveTimer !== undefined) clearInterval(this.#liveTimer);
    await Promise.all([...this.#tcp].map((listener) => listener.close()));
    await Promise.all([...this.#ptys].map((server) => server.close()));
    await Promise.all([...this.#sessions].map((session) => session.close()));
    this.#tcp.clear();
    this.#ptys.clear();
    this.#sessions.clear();
  }
}

export function createReceiverEmulator(options: ReceiverEmulatorOptions = {}): ReceiverEmulator {
  return new ReceiverEmulator(options);
}
