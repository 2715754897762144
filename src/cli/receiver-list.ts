/**
 * `sharebridge receiver list [--json]`: every receiver the `device` value finds (`auto`: every one
 * with USB id 22a3:0047; a pattern: every match), each opened in turn for its serial and product, and
 * closed. For choosing `receiver.serial` on a host with several receivers (issue 14).
 *
 * A receiver that a running sharebridge holds cannot be opened a second time (the port is locked):
 * it is listed as in use, with its device path; `sharebridge status` of that instance names it.
 */
import { deviceCandidates, probeCandidate } from "../app/receiver-by-serial.js";
import { deviceFromSpec } from "../app/receiver-device.js";
import { SharebridgeError } from "../errors.js";
import { probeReceiver, type ReceiverProbe } from "../observe/receiver-probe.js";
import { parseDeviceSpec } from "../receiver/device.js";
import type { Command, CommandContext } from "./command.js";
import { EXIT } from "./exit-codes.js";

export interface ListedReceiver {
  readonly device: string;
  readonly serial: string | null;
  readonly productName: string | null;
  readonly generation: string | null;
  readonly firmwareVersion: string | null;
  /** Another process (normally a running sharebridge) holds the port. */
  readonly inUse: boolean;
  /** Why it could not be identified. */
  readonly problem: string | null;
}

function listed(device: string, probe: ReceiverProbe): ListedReceiver {
  return {
    device,
    serial: probe.serial,
    productName: probe.productName,
    generation: probe.generation,
    firmwareVersion: probe.firmwareVersion,
    inUse: probe.inUse,
    problem: probe.serial === null && !probe.inUse ? (probe.error?.message ?? "no answer") : null,
  };
}

/** Every receiver `config.device` finds, identified (or why not). */
export async function listReceivers(context: CommandContext): Promise<ListedReceiver[]> {
  const text = context.config.device;
  if (/^emulate(?::|$)/.test(text.trim())) {
    const device = await deviceFromSpec(text, context.log);
    return [listed(text, await probeReceiver(device, { log: context.log }))];
  }
  const candidates = await deviceCandidates(parseDeviceSpec(text));
  if (candidates.length === 0) {
    throw new SharebridgeError("DEVICE_NOT_FOUND", `no receiver found for device ${text}`, {
      hint: "plug the receiver in with a data cable, not a charge-only one; `lsusb` should list 22a3:0047",
    });
  }
  const found: ListedReceiver[] = [];
  for (const candidate of candidates)
    found.push(listed(candidate, await probeCandidate(candidate, context.log)));
  return found;
}

export function formatReceiverList(receivers: readonly ListedReceiver[]): string {
  const rows = receivers.map((r) => [
    r.serial ?? "—",
    r.productName === null
      ? r.inUse
        ? "(in use by another process)"
        : `(${r.problem})`
      : `${r.productName}, ${r.generation}`,
    r.device,
  ]);
  const head = ["SERIAL", "PRODUCT", "DEVICE"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number))).join("  ");
  return `${[line(head), ...rows.map(line)].join("\n")}\n`;
}

const command: Command = {
  usage: `[--json]

Lists every receiver the device setting finds (auto: every Dexcom receiver on USB; a pattern such as
/dev/ttyACM*: every match) with its serial number, product and device path. Receivers that a running
sharebridge holds are shown as in use.`,
  options: { json: { type: "boolean" } },
  async run(context) {
    const receivers = await listReceivers(context);
    context.stdout.write(
      context.values["json"] === true ? `${JSON.stringify(receivers)}\n` : formatReceiverList(receivers),
    );
    return EXIT.OK;
  },
};

export default command;
