/**
 * Opening the receiver for a one-shot command: `--device` (default `auto`) → transport → Receiver.
 */
import { deviceOpener, parseDeviceSpec } from "../receiver/device.js";
import { Receiver } from "../receiver/receiver.js";
import type { TransportOpener } from "../receiver/transport.js";
import type { CommandContext } from "./command.js";

export async function openerFromOptions(context: CommandContext): Promise<TransportOpener> {
  const text = typeof context.values["device"] === "string" ? context.values["device"] : "auto";
  const spec = parseDeviceSpec(text);
  return deviceOpener(spec, {
    onDiscovered: (path, others) =>
      context.log.info({ device: path, otherReceivers: others }, "found the receiver"),
  });
}

/** Opens the receiver named by `--device`, runs `use`, and always closes the port. */
export async function withReceiver<T>(
  context: CommandContext,
  use: (receiver: Receiver) => Promise<T>,
): Promise<T> {
  const receiver = await Receiver.open(await openerFromOptions(context), { log: context.log });
  const onAbort = () => void receiver.close();
  context.signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await use(receiver);
  } finally {
    context.signal.removeEventListener("abort", onAbort);
    await receiver.close();
  }
}
