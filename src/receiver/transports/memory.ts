/**
 * An in-process transport pair for tests and the in-process emulator: what one end writes, the
 * other end receives asynchronously (as on a real port), as a copy (the writer may reuse its buffer).
 * Either end can be "unplugged", which closes both with DEVICE_DISCONNECTED.
 */
import { SharebridgeError } from "../../errors.js";
import type { Transport, TransportSink } from "../transport.js";

export interface MemoryEnd extends Transport {
  /** Attach the receiving side; bytes written before attaching are queued. */
  attach(sink: TransportSink): void;
  /** Simulates a hot-unplug: both ends close with DEVICE_DISCONNECTED. */
  unplug(): void;
  readonly isClosed: boolean;
}

class End implements MemoryEnd {
  #sink: TransportSink | undefined;
  #queue: Uint8Array[] = [];
  #closed = false;
  peer!: End;

  constructor(readonly description: string) {}

  get isClosed(): boolean {
    return this.#closed;
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    const queued = this.#queue;
    this.#queue = [];
    for (const chunk of queued) sink.data(chunk);
  }

  deliver(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#sink === undefined) this.#queue.push(chunk);
    else this.#sink.data(chunk);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) {
      throw new SharebridgeError("DEVICE_DISCONNECTED", "memory transport is closed", {
        device: this.description,
      });
    }
    const copy = Uint8Array.from(bytes);
    const peer = this.peer;
    setImmediate(() => peer.deliver(copy));
  }

  finish(error?: SharebridgeError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#sink?.closed(error);
  }

  async close(): Promise<void> {
    // A clean close on one side looks like the cable going away to the other side.
    const peer = this.peer;
    this.finish();
    setImmediate(() =>
      peer.finish(new SharebridgeError("DEVICE_DISCONNECTED", "peer closed", { device: peer.description })),
    );
  }

  unplug(): void {
    const error = () =>
      new SharebridgeError("DEVICE_DISCONNECTED", "device unplugged", { device: this.description });
    this.finish(error());
    this.peer.finish(error());
  }
}

/** Creates two connected ends: `host` (for the driver) and `device` (for an emulator). */
export function createMemoryPair(description = "memory"): { host: MemoryEnd; device: MemoryEnd } {
  const host = new End(description);
  const device = new End(`${description} (device side)`);
  host.peer = device;
  device.peer = host;
  return { host, device };
}
