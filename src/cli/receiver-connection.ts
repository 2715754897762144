/**
 * Opening the receiver for a command: `--device` (default `auto`) → transport → Receiver.
 *
 * Besides `auto`, a path and `tcp://HOST:PORT`, commands accept `emulate[:PROFILE]`: a receiver
 * emulator in the same process (profile g4 unless named), so every command can be tried on a
 * machine with no receiver attached.
 */
import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { deviceOpener, parseDeviceSpec } from "../receiver/device.js";
import { Receiver } from "../receiver/receiver.js";
import type { TransportOpener } from "../receiver/transport.js";
import type { CommandContext } from "./command.js";

export interface OpenedDevice {
  readonly opener: TransportOpener;
  /** Releases what the device needed besides the port (the in-process emulator). */
  release(): Promise<void>;
}

const EMULATE = /^emulate(?::([a-z0-9]+))?$/;

/** The device named by a `--device`/`device` value. */
export async function deviceFromSpec(
  text: string,
  log: Logger,
  live?: { intervalSeconds: number },
): Promise<OpenedDevice> {
  const emulate = EMULATE.exec(text.trim());
  if (emulate !== null) {
    const { createReceiverEmulator, PROFILE_IDS } = await import("../emulator/receiver/index.js");
    const profile = emulate[1] ?? "g4";
    if (!(PROFILE_IDS as readonly string[]).includes(profile)) {
      throw new SharebridgeError("DEVICE_SPEC_INVALID", `--device emulate:${profile}: unknown profile`, {
        hint: `profiles: ${PROFILE_IDS.join(", ")}`,
      });
    }
    const emulator = createReceiverEmulator({
      profile: profile as (typeof PROFILE_IDS)[number],
      log,
      ...(live === undefined ? {} : { live }),
    });
    return { opener: emulator.opener(), release: () => emulator.close() };
  }
  const opener = deviceOpener(parseDeviceSpec(text), {
    onDiscovered: (path, others) => log.info({ device: path, otherReceivers: others }, "found the receiver"),
  });
  return { opener, release: async () => undefined };
}

export function deviceFromOptions(context: CommandContext): Promise<OpenedDevice> {
  const text = typeof context.values["device"] === "string" ? context.values["device"] : "auto";
  return deviceFromSpec(text, context.log);
}

/** Opens the receiver named by `--device`, runs `use`, and always closes the port. */
export async function withReceiver<T>(
  context: CommandContext,
  use: (receiver: Receiver) => Promise<T>,
): Promise<T> {
  const device = await deviceFromOptions(context);
  try {
    const receiver = await Receiver.open(device.opener, { log: context.log, signal: context.signal });
    const onAbort = () => void receiver.close();
    context.signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await use(receiver);
    } finally {
      context.signal.removeEventListener("abort", onAbort);
      await receiver.close();
    }
  } finally {
    await device.release();
  }
}
