/**
 * Opening the receiver for a command: `--device` (default `auto`) → transport → Receiver, closed
 * again whatever happens.
 */
import { deviceFromSpec } from "../app/receiver-device.js";
import { Receiver } from "../receiver/receiver.js";
import type { CommandContext } from "./command.js";

export { deviceFromSpec, type OpenedDevice } from "../app/receiver-device.js";

/**
 * Opens the configured receiver (`device`: the file < $SHAREBRIDGE_DEVICE < `--device`), runs `use`,
 * and always closes the port.
 */
export async function withReceiver<T>(
  context: CommandContext,
  use: (receiver: Receiver) => Promise<T>,
): Promise<T> {
  const device = await deviceFromSpec(context.config.device, context.log, {
    serial: context.config.receiver.serial,
  });
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
