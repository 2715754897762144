/**
 * `--device auto|PATH|PATTERN|tcp://HOST:PORT` (DESIGN.md §8) → a transport opener.
 *
 * With `auto` (and a pattern such as `/dev/ttyACM*`, device-pattern.ts) every open searches again,
 * so a receiver that comes back on another /dev node after a replug is found by the link's reopen
 * and by the daemon's next cycle.
 */
import { SharebridgeError } from "../errors.js";
import { parseHostPort } from "../util/host-port.js";
import { expandDevicePattern, isDevicePattern } from "./device-pattern.js";
import { type DiscoveryRoots, findReceiverPorts } from "./discovery.js";
import type { TransportOpener } from "./transport.js";
import { serialOpener } from "./transports/serial.js";
import { tcpOpener } from "./transports/tcp.js";

export type DeviceSpec =
  | { readonly kind: "auto" }
  | { readonly kind: "path"; readonly path: string }
  /** Every character device matching, e.g. /dev/ttyACM* (device-pattern.ts). */
  | { readonly kind: "pattern"; readonly pattern: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

export function parseDeviceSpec(text: string): DeviceSpec {
  const value = text.trim();
  if (value === "" || value === "auto") return { kind: "auto" };
  if (value.startsWith("tcp://")) {
    const address = parseHostPort(value.slice("tcp://".length).replace(/\/$/, ""), { minPort: 1 });
    if (address === undefined) throw invalid(text, "expected tcp://HOST:PORT with a port in 1–65535");
    return { kind: "tcp", ...address };
  }
  if (value.includes("://")) throw invalid(text, "only tcp:// URLs are supported");
  if (value.length > 4096 || value.includes("\0")) throw invalid(text, "not a usable path");
  if (isDevicePattern(value)) return { kind: "pattern", pattern: value };
  return { kind: "path", path: value };
}

function invalid(text: string, why: string): SharebridgeError {
  return new SharebridgeError(
    "DEVICE_SPEC_INVALID",
    `--device ${JSON.stringify(text.slice(0, 200))}: ${why}`,
    {
      hint: "use auto, a device path such as /dev/serial/by-id/..., a pattern such as /dev/ttyACM*, or tcp://HOST:PORT",
    },
  );
}

export interface DeviceOpenerOptions {
  discovery?: DiscoveryRoots;
  /** Called with the path `auto` chose, for logs. */
  onDiscovered?: (path: string, others: number) => void;
}

export function deviceOpener(spec: DeviceSpec, options: DeviceOpenerOptions = {}): TransportOpener {
  switch (spec.kind) {
    case "tcp":
      return tcpOpener(spec.host, spec.port);
    case "path":
      return serialOpener(spec.path);
    case "auto":
      return async (sink) => {
        const found = await findReceiverPorts(options.discovery);
        const first = found[0];
        if (first === undefined) {
          throw new SharebridgeError("DEVICE_NOT_FOUND", "no Dexcom receiver (USB 22a3:0047) is connected", {
            hint: "plug the receiver in with a data cable, or pass --device PATH",
          });
        }
        options.onDiscovered?.(first.path, found.length - 1);
        return serialOpener(first.path)(sink);
      };
    case "pattern":
      return async (sink) => {
        const found = await expandDevicePattern(spec.pattern);
        const first = found[0];
        if (first === undefined) {
          throw new SharebridgeError("DEVICE_NOT_FOUND", `no serial device matches ${spec.pattern}`, {
            device: spec.pattern,
            hint: "plug the receiver in with a data cable, or check the pattern",
          });
        }
        options.onDiscovered?.(first, found.length - 1);
        return serialOpener(first)(sink);
      };
  }
}
