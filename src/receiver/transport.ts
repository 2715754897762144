/**
 * The seam between bytes and the link: serial (`serialport`), raw TCP (ser2net style) and an
 * in-process pair all implement it, so nothing above knows which one carries the bytes.
 *
 * An opener receives the sink first and returns the open transport, so no byte can arrive before
 * someone listens. `closed` is called exactly once, when the transport ends for any reason: with a
 * DEVICE_DISCONNECTED error when the peer went away, without one after `close()`.
 */
import type { SharebridgeError } from "../errors.js";

export interface TransportSink {
  data(chunk: Uint8Array): void;
  closed(error?: SharebridgeError): void;
}

export interface Transport {
  /** What this transport talks to, for logs and `receiver info` (a device path or tcp:// URL). */
  readonly description: string;
  /** Resolves when the bytes were handed to the OS; rejects with DEVICE_DISCONNECTED if closed. */
  write(bytes: Uint8Array): Promise<void>;
  /** Idempotent; resolves when the underlying handle is released. */
  close(): Promise<void>;
}

export type TransportOpener = (sink: TransportSink) => Promise<Transport>;
