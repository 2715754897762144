/**
 * Doctor: does the receiver answer? The same quick probe as `status` (identity and battery, short
 * timeouts, a deadline), with a fix chosen by how it failed.
 */
import { probeReceiver } from "../receiver-probe.js";
import { type Check, type DeviceKind, fail, ok, skip } from "./types.js";

/** What to do, by how the receiver is reached and the error code of the failed probe (src/errors.ts). */
function fixFor(code: string, message: string, kind: DeviceKind | undefined, device: string): string {
  if (kind === "tcp" && (code === "DEVICE_NOT_FOUND" || code === "DEVICE_OPEN_FAILED")) {
    return `nothing accepts connections at ${device}: start what shares the receiver there (ser2net in raw mode, socat, or \`sharebridge emulate receiver --listen\`), or correct the device setting`;
  }
  if (
    kind === "tcp" &&
    (code === "RESPONSE_TIMEOUT" || code === "LINK_FAILED" || code === "DEVICE_DISCONNECTED")
  ) {
    return `${device} accepted the connection but no receiver answered: check that the server there is in raw mode, on the receiver's port, and that the receiver is plugged in on that machine`;
  }
  switch (code) {
    case "DEVICE_NOT_FOUND":
      return "plug the receiver in with a data cable (`lsusb` should list 22a3:0047), or check the device setting";
    case "DEVICE_OPEN_FAILED":
      return /permission/i.test(message)
        ? "see the permissions line above"
        : "another program may hold the port (a running `sharebridge run`, ModemManager, a terminal program): stop it and try again; `sharebridge status` shows a running daemon's view";
    case "RESPONSE_TIMEOUT":
    case "LINK_FAILED":
    case "DEVICE_DISCONNECTED":
      return "the port opened but the receiver did not answer: wake the receiver (press a button), replug it, and check the ModemManager line";
    default:
      return "replug the receiver and run doctor again; if it persists, report it with the output of `sharebridge receiver info --log-level debug`";
  }
}

export const receiverCheck: Check = {
  id: "receiver",
  label: "receiver answers",
  async run({ config, facts, log }) {
    const device = facts.opener;
    if (device === undefined) return skip("no device to talk to");
    const probe = await probeReceiver(device, { log });
    if (!probe.present || probe.serial === null) {
      const code = probe.error?.code ?? "INTERNAL";
      const message = probe.error?.message ?? "no answer";
      return fail(`${message} [${code}]`, fixFor(code, message, facts.deviceKind, config.device.trim()));
    }
    facts.serial = probe.serial;
    const battery = probe.batteryPercent === null ? "" : `, battery ${probe.batteryPercent} %`;
    const firmware =
      probe.firmwareVersion === null || probe.firmwareVersion === ""
        ? ""
        : `, firmware ${probe.firmwareVersion}`;
    return ok(`${probe.serial}, ${probe.generation ?? "unknown generation"}${firmware}${battery}`);
  },
};
