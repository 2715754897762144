/**
 * Serves the emulator on a real pseudo-terminal, so that the driver opens a tty exactly as it opens
 * /dev/ttyACM0 (DESIGN.md §9). socat makes a pty pair joined back to back:
 *
 *   driver ──open(PATH)──► pty A ◄══ socat ══► pty B ◄──open(PATH.device)── emulator (serialport)
 *
 * socat keeps running while the driver opens and closes PATH repeatedly (checked on Linux). An
 * unplug kills socat: the links disappear and the driver's open descriptor fails (on Linux the host
 * side notices at its next write, with EIO); after `replugDelayMs` a new pair is created at the same
 * PATH so that the next open works. If socat dies on its own it is restarted the same way.
 *
 * socat replaces whatever exists at a link path and deletes it on exit, so an existing PATH is
 * refused unless it is a stale link into /dev/pts from an earlier run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { lstat, readlink, unlink } from "node:fs/promises";
import { SerialPort } from "serialport";
import { SharebridgeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { DeviceLink, EmulatorSession } from "./session.js";

export interface PtyServerOptions {
  readonly path: string;
  readonly startSession: (link: DeviceLink) => EmulatorSession;
  readonly log: Logger;
  /** Delay between an unplug and the new pty pair, ms (default 200). */
  readonly replugDelayMs?: number;
  /** The socat executable (default `socat` from PATH). */
  readonly socat?: string;
}

/** socat address syntax gives `,` `:` `!` and spaces a meaning: keep paths to plain characters. */
const SAFE_PATH = /^[A-Za-z0-9._/+@-]{1,200}$/;
const START_TIMEOUT_MS = 5000;
const STDERR_KEEP = 4096;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes a stale pty link from an earlier run; refuses to touch anything else. */
async function clearStaleLink(path: string): Promise<void> {
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(path);
  } catch {
    return;
  }
  const target = stat.isSymbolicLink() ? await readlink(path) : "";
  if (!target.startsWith("/dev/pts/")) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      `${path} exists and is not a pty link; refusing to replace it`,
      {
        path,
      },
    );
  }
  await unlink(path);
}

export class PtyServer {
  readonly path: string;
  readonly devicePath: string;
  readonly #options: PtyServerOptions;
  #child: ChildProcess | undefined;
  #port: SerialPort | undefined;
  #session: EmulatorSession | undefined;
  #closing = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #ready: Promise<void> = Promise.resolve();
  /** Resolves a pending `#ready` when close() cancels a replug. */
  #settleReady: () => void = () => undefined;
  #stderr = "";

  private constructor(options: PtyServerOptions) {
    this.path = options.path;
    this.devicePath = `${options.path}.device`;
    this.#options = options;
  }

  static async start(options: PtyServerOptions): Promise<PtyServer> {
    if (!SAFE_PATH.test(options.path)) {
      throw new SharebridgeError(
        "CONFIG_INVALID",
        "pty path may only contain letters, digits and . _ / + @ - (at most 200)",
        { path: options.path },
      );
    }
    const server = new PtyServer(options);
    await clearStaleLink(server.path);
    await clearStaleLink(server.devicePath);
    server.#ready = server.#start();
    await server.#ready;
    return server;
  }

  /** Resolves when the pty pair exists and is served (after start, or after an unplug's replug). */
  ready(): Promise<void> {
    return this.#ready;
  }

  async #start(): Promise<void> {
    const { log } = this.#options;
    this.#stderr = "";
    const child = spawn(
      this.#options.socat ?? "socat",
      ["-d", "-d", `pty,raw,echo=0,link=${this.path}`, `pty,raw,echo=0,link=${this.devicePath}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    this.#child = child;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_KEEP);
    });
    const failed = new Promise<never>((_, reject) => {
      child.once("error", (error) =>
        reject(
          new SharebridgeError(
            "DEVICE_OPEN_FAILED",
            `cannot run socat: ${error.message}`,
            {},
            { cause: error },
          ),
        ),
      );
      child.once("exit", (code, signal) =>
        reject(
          new SharebridgeError("DEVICE_OPEN_FAILED", "socat exited while creating the pty pair", {
            code,
            signal,
            stderr: this.#stderr.slice(-500),
          }),
        ),
      );
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await exists(this.path)) || !(await exists(this.devicePath))) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new SharebridgeError("DEVICE_OPEN_FAILED", "socat did not create the pty links in time", {
          path: this.path,
          stderr: this.#stderr.slice(-500),
        });
      }
      await Promise.race([delay(20), failed]);
    }
    child.once("exit", (code, signal) => this.#onSocatExit(child, code, signal));
    const port = new SerialPort({ path: this.devicePath, baudRate: 115_200, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) =>
        port.open((error) => {
          if (error === null) resolve();
          else
            reject(
              new SharebridgeError(
                "DEVICE_OPEN_FAILED",
                `cannot open ${this.devicePath}: ${error.message}`,
                {},
              ),
            );
        }),
      );
    } catch (error) {
      // Do not leave socat running for a pty nobody serves.
      await this.#killSocat();
      throw error;
    }
    this.#port = port;
    const link: DeviceLink = {
      description: `pty:${this.path}`,
      write: (bytes) =>
        new Promise<void>((resolve, reject) => {
          if (!port.isOpen) {
            reject(new SharebridgeError("DEVICE_DISCONNECTED", "pty closed", { device: this.path }));
            return;
          }
          port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (error) => {
            if (error) reject(error);
            else port.drain(() => resolve());
          });
        }),
      unplug: () => {
        void this.unplug();
      },
      close: async () => undefined,
    };
    const session = this.#options.startSession(link);
    this.#session = session;
    port.on("data", (chunk: Buffer) =>
      session.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
    port.on("error", (error) => log.debug({ err: error, device: this.devicePath }, "emulator pty error"));
    port.on("close", () => session.closed());
    log.info({ path: this.path }, "emulator: pty ready");
  }

  #onSocatExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return; // an unplug or close already handled it
    this.#child = undefined;
    this.#options.log.warn(
      { code, signal, stderr: this.#stderr.slice(-300) },
      "emulator: socat exited; restarting",
    );
    void this.#teardownPort().then(() => this.#scheduleRestart(1000));
  }

  async #teardownPort(): Promise<void> {
    const port = this.#port;
    this.#port = undefined;
    this.#session?.closed();
    this.#session = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async #killSocat(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }

  /** Makes `ready()` wait for the next pty pair; returns what resolves it. */
  #pendingReady(): () => void {
    let settle: () => void = () => undefined;
    this.#ready = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#settleReady = settle;
    return settle;
  }

  #scheduleRestart(afterMs: number, settle: () => void = this.#pendingReady()): void {
    if (this.#closing) {
      settle();
      return;
    }
    const attempt = (waitMs: number) => {
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = undefined;
        if (this.#closing) {
          settle();
          return;
        }
        this.#start().then(settle, (error: unknown) => {
          this.#options.log.error({ err: error }, "emulator: cannot recreate the pty; retrying");
          if (this.#closing) settle();
          else attempt(1000);
        });
      }, waitMs);
    };
    attempt(afterMs);
  }

  /** Hot-unplug: the pty pair disappears, then comes back at the same path. */
  async unplug(): Promise<void> {
    if (this.#closing || this.#child === undefined) return;
    this.#options.log.info({ path: this.path }, "emulator: pty unplugged");
    // From this instant `ready()` waits for the new pair: the driver may see the port vanish before
    // socat has exited, and must not be told the old pair is ready.
    const settle = this.#pendingReady();
    await this.#killSocat();
    await this.#teardownPort();
    this.#scheduleRestart(this.#options.replugDelayMs ?? 200, settle);
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#settleReady();
    await this.#ready.catch(() => undefined);
    await this.#killSocat();
    await this.#teardownPort();
  }
}
