/**
 * A quick look at the receiver for `status` and `doctor`: open the device, read who it is and its
 * battery, close it. Short per-command timeouts, one retry, no reopen, and a deadline over the
 * whole probe, so a silent or half-plugged device costs seconds, never a hang. A missing or mute
 * receiver is a result (`present: false` with the error), never a thrown error: both commands must
 * report the rest even when the receiver is away.
 *
 * While the daemon holds the serial port, opening it again fails (or steals replies); `status`
 * reports that as "could not open" and still shows the daemon's state file.
 */
import { asSharebridgeError, isSharebridgeError, SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { ReadBatteryLevel, ReadBatteryState } from "../receiver/commands.js";
import { Receiver } from "../receiver/receiver.js";
import type { TransportOpener } from "../receiver/transport.js";
import { readIdentity } from "../records/identity.js";
import { batteryFacts } from "../sync/battery-watch.js";

/** A device to probe: how to open it and what to release afterwards (an in-process emulator). */
export interface ProbeDevice {
  readonly opener: TransportOpener;
  release(): Promise<void>;
}

export interface ReceiverProbe {
  /** A receiver answered and said who it is. */
  readonly present: boolean;
  /** What was opened (a tty path, tcp:// URL, emulator), when it opened. */
  readonly device: string | null;
  readonly serial: string | null;
  /** "G4", "G5 Mobile", … from the firmware header. */
  readonly generation: string | null;
  readonly productName: string | null;
  readonly firmwareVersion: string | null;
  /** Percent; null when the receiver does not say (some firmware refuses, spec §3.1). */
  readonly batteryPercent: number | null;
  /** charging, not-charging, ntc-fault, bad-battery; null when unknown. */
  readonly batteryState: string | null;
  /**
   * The port exists but another program holds it: serialport locks the tty, so while the daemon is
   * connected a second open is refused. Normally that other program is the running daemon.
   */
  readonly inUse: boolean;
  /** Why it is not present (or what else went wrong), with the error code. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface ProbeOptions {
  /** Per receiver command, ms. Default 1000: receivers answer in 12–220 ms (spec §1.5). */
  readonly timeoutMs?: number;
  /** The whole probe, ms, opening included. Default 8000. */
  readonly deadlineMs?: number;
  readonly log?: Logger;
}

const EMPTY: Omit<ReceiverProbe, "error" | "inUse"> = {
  present: false,
  device: null,
  serial: null,
  generation: null,
  productName: null,
  firmwareVersion: null,
  batteryPercent: null,
  batteryState: null,
};

/** An optional reading: null on any failure (a glance must not fail over the battery). */
async function optional<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch {
    return null;
  }
}

/** serialport's words for a tty locked by another process (flock EWOULDBLOCK), or EBUSY. */
const IN_USE = /cannot lock port|resource temporarily unavailable|resource busy|EBUSY/i;

function errorOf(error: unknown): { code: string; message: string } {
  const typed = asSharebridgeError(error);
  return { code: typed.code, message: typed.detail.slice(0, 300) };
}

export async function probeReceiver(device: ProbeDevice, options: ProbeOptions = {}): Promise<ReceiverProbe> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const deadlineMs = options.deadlineMs ?? 8000;
  const log = options.log ?? silentLogger;
  let receiver: Receiver | undefined;
  let abandoned = false;
  let description: string | null = null;

  const work = async (): Promise<ReceiverProbe> => {
    const opened = await Receiver.open(device.opener, { timeoutMs, retries: 1, reopens: 0, log });
    if (abandoned) {
      await opened.close();
      throw new SharebridgeError("RESPONSE_TIMEOUT", "the probe ran out of time", {});
    }
    receiver = opened;
    description = opened.description;
    const identity = await readIdentity(opened);
    const battery = batteryFacts(
      await optional(() => opened.call(ReadBatteryLevel)),
      await optional(() => opened.call(ReadBatteryState)),
    );
    return {
      present: true,
      device: description,
      serial: identity.serial,
      generation: identity.generation,
      productName: identity.productName,
      firmwareVersion: identity.firmwareVersion,
      batteryPercent: battery.percent,
      batteryState: battery.state,
      inUse: false,
      error: null,
    };
  };

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandoned = true;
      reject(
        new SharebridgeError("RESPONSE_TIMEOUT", `the receiver did not answer within ${deadlineMs} ms`, {
          deadlineMs,
        }),
      );
    }, deadlineMs);
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    if (!isSharebridgeError(error)) log.debug({ err: error }, "receiver probe failed");
    const failure = errorOf(error);
    const inUse = failure.code === "DEVICE_OPEN_FAILED" && IN_USE.test(failure.message);
    return { ...EMPTY, device: description, inUse, error: failure };
  } finally {
    clearTimeout(timer);
    // Closing makes a request still in flight reject at once; the port is released before returning.
    await (receiver as Receiver | undefined)?.close().catch(() => undefined);
    await device.release().catch(() => undefined);
  }
}
