/**
 * A connected receiver for the sync: the link, an incremental reader bound to it, and the serial
 * number read once per connection (spec §3.4). Closing it releases the port.
 */
import { type Logger, silentLogger } from "../observe/log.js";
import type { LinkStats } from "../receiver/link.js";
import { Receiver } from "../receiver/receiver.js";
import type { TransportOpener } from "../receiver/transport.js";
import { IncrementalReader } from "../records/incremental-reader.js";
import type { ReceiverSession } from "./cycle.js";

export interface OpenReceiverSession extends ReceiverSession {
  readonly description: string;
  readonly stats: Readonly<LinkStats>;
  close(): Promise<void>;
}

export async function openReceiverSession(
  opener: TransportOpener,
  options: { log?: Logger; timeoutMs?: number; now?: () => number } = {},
): Promise<OpenReceiverSession> {
  const log = options.log ?? silentLogger;
  const receiver = await Receiver.open(opener, { log, timeoutMs: options.timeoutMs, now: options.now });
  try {
    const reader = new IncrementalReader(receiver, { log });
    const serial = await reader.serial();
    return {
      receiver,
      reader,
      serial,
      description: receiver.description,
      stats: receiver.stats,
      close: () => receiver.close(),
    };
  } catch (error) {
    await receiver.close();
    throw error;
  }
}
