/**
 * A connected receiver for the sync: the link, an incremental reader bound to it, and the serial
 * number read once per connection (spec §3.4). Closing it releases the port.
 *
 * The link reopens its port by itself after a disconnect (DESIGN.md §3), so "one connection" of the
 * session can span several devices: a receiver unplugged and another plugged in on the same path (or
 * behind the same TCP bridge) answers the next request. `confirmIdentity` reads the serial again
 * whenever the link reopened since it was last read, and refuses to go on with another receiver.
 */
import { SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import type { LinkStats } from "../receiver/link.js";
import { Receiver } from "../receiver/receiver.js";
import type { TransportOpener } from "../receiver/transport.js";
import { readIdentity } from "../records/identity.js";
import { IncrementalReader } from "../records/incremental-reader.js";
import type { ReceiverSession } from "./cycle.js";
import { serialKey } from "./state.js";

export interface OpenReceiverSession extends ReceiverSession {
  readonly description: string;
  readonly stats: Readonly<LinkStats>;
  readonly confirmIdentity: () => Promise<void>;
  close(): Promise<void>;
}

/** Identity reads in a row that may each be cut by another reopen before the check gives up. */
const IDENTITY_ATTEMPTS = 3;

export interface ReceiverSessionOptions {
  readonly log?: Logger;
  readonly timeoutMs?: number | undefined;
  readonly now?: () => number;
  /**
   * The only serial this session may serve (receiver.serial): another receiver on the port is
   * refused at the open, and by `confirmIdentity` like any change of receiver.
   */
  readonly expectedSerial?: string | undefined;
  /**
   * The command's or daemon's stop signal: when it aborts, opening the port and every request of
   * the session, whatever it is waiting for, end at once with ABORTED (a stop within 2 s).
   */
  readonly signal?: AbortSignal | undefined;
}

export async function openReceiverSession(
  opener: TransportOpener,
  options: ReceiverSessionOptions = {},
): Promise<OpenReceiverSession> {
  const log = options.log ?? silentLogger;
  const clock = options.now === undefined ? undefined : { now: options.now };
  const receiver = await Receiver.open(opener, {
    log,
    timeoutMs: options.timeoutMs,
    clock,
    signal: options.signal,
  });
  try {
    const reader = new IncrementalReader(receiver, { log });
    let reopensAtIdentity = receiver.stats.reopens;
    const serial = await reader.serial();
    const expected = options.expectedSerial;
    if (expected !== undefined && serialKey(expected) !== serialKey(serial)) {
      // Not ours: another child's receiver must never feed this account (issue 14).
      throw new SharebridgeError(
        "DEVICE_NOT_FOUND",
        `the receiver on ${receiver.description} is ${serial}, not ${expected} (receiver.serial)`,
        { device: receiver.description, serial, expected },
      );
    }
    return {
      receiver,
      reader,
      serial,
      description: receiver.description,
      stats: receiver.stats,
      async confirmIdentity() {
        for (let attempt = 0; receiver.stats.reopens !== reopensAtIdentity; attempt++) {
          if (attempt >= IDENTITY_ATTEMPTS) {
            throw new SharebridgeError("DEVICE_DISCONNECTED", "the receiver port keeps reopening", {
              device: receiver.description,
            });
          }
          const reopens = receiver.stats.reopens;
          const now = (await readIdentity(receiver)).serial;
          if (serialKey(now) !== serialKey(serial)) {
            throw new SharebridgeError(
              "DEVICE_DISCONNECTED",
              `another receiver answers on ${receiver.description} (serial ${now}, was ${serial})`,
              { device: receiver.description, previous: serial, serial: now },
            );
          }
          reopensAtIdentity = reopens;
        }
      },
      close: () => receiver.close(),
    };
  } catch (error) {
    await receiver.close();
    throw error;
  }
}
