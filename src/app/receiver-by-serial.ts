/**
 * The receiver with a given serial (receiver.serial, issue 14), wherever it is plugged in. On a host
 * with several receivers — one sharebridge instance each — a USB re-enumeration can give every
 * receiver another /dev/ttyACM number; the serial is what stays.
 *
 *   candidates: auto (USB id 22a3:0047), a pattern (/dev/ttyACM*), a path, tcp://
 *     └─ the last match first, then the others: open, read who it is, close (observe/receiver-probe.ts)
 *          └─ the serial matches ─► open it for the session, which reads the serial again and
 *                                   refuses another one (sync/receiver-session.ts)
 *
 * A candidate that another process holds is skipped: serialport locks the tty it opens, so a port in
 * use belongs to another instance and refuses a second open at once, before any byte is sent.
 */

import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { probeReceiver, type ReceiverProbe } from "../observe/receiver-probe.js";
import { type DeviceSpec, deviceOpener, parseDeviceSpec } from "../receiver/device.js";
import { expandDevicePattern } from "../receiver/device-pattern.js";
import { findReceiverPorts } from "../receiver/discovery.js";
import type { TransportOpener } from "../receiver/transport.js";
import { serialKey } from "../sync/state.js";
import { formatHostPort } from "../util/host-port.js";

/** Per receiver command while probing, ms: receivers answer in 12–220 ms (spec §1.5). */
const PROBE_TIMEOUT_MS = 1000;
/** One candidate's whole probe, ms: a silent device costs this at most. */
const PROBE_DEADLINE_MS = 5000;

/** The device paths (or tcp:// address) a `device` value stands for, in the order they are tried. */
export async function deviceCandidates(spec: DeviceSpec): Promise<string[]> {
  switch (spec.kind) {
    case "auto":
      return (await findReceiverPorts()).map((port) => port.path);
    case "pattern":
      return expandDevicePattern(spec.pattern);
    case "path":
      return [spec.path];
    case "tcp":
      return [`tcp://${formatHostPort(spec)}`];
  }
}

/** Opens, identifies and closes one candidate; never throws (a failure is in the result). */
export function probeCandidate(candidate: string, log: Logger): Promise<ReceiverProbe> {
  return probeReceiver(
    { opener: deviceOpener(parseDeviceSpec(candidate)), release: async () => undefined },
    { timeoutMs: PROBE_TIMEOUT_MS, deadlineMs: PROBE_DEADLINE_MS, log },
  );
}

/** How a probed candidate is described when it is not the one looked for. */
function seen(candidate: string, probe: ReceiverProbe): string {
  if (probe.serial !== null) return `${probe.serial} on ${candidate}`;
  if (probe.inUse) return `${candidate} in use by another process`;
  return `${candidate}: ${probe.error?.message ?? "no answer"}`;
}

export interface BySerialOptions {
  readonly log: Logger;
  /** Called with the path chosen and how many other candidates there were, for logs. */
  readonly onDiscovered?: (path: string, others: number) => void;
}

/**
 * An opener for the receiver with `serial` among the candidates of `spec`, searched again at every
 * open. DEVICE_NOT_FOUND names what was found instead, so the daemon's "waiting for a receiver" says
 * why.
 */
export function openerBySerial(spec: DeviceSpec, serial: string, options: BySerialOptions): TransportOpener {
  let lastMatch: string | undefined;
  return async (sink) => {
    const candidates = await deviceCandidates(spec);
    const ordered =
      lastMatch !== undefined && candidates.includes(lastMatch)
        ? [lastMatch, ...candidates.filter((c) => c !== lastMatch)]
        : candidates;
    const others: string[] = [];
    let busy = 0;
    for (const candidate of ordered) {
      const probe = await probeCandidate(candidate, options.log);
      if (probe.serial !== null && serialKey(probe.serial) === serialKey(serial)) {
        lastMatch = candidate;
        options.onDiscovered?.(candidate, candidates.length - 1);
        return deviceOpener(parseDeviceSpec(candidate))(sink);
      }
      if (probe.inUse) busy++;
      others.push(seen(candidate, probe));
    }
    const found = others.length === 0 ? "no receiver was found" : `found ${others.join("; ")}`;
    const context = {
      serial,
      candidates: candidates.length,
      hint: "plug it in with a data cable; `sharebridge receiver list` shows the receivers found",
    };
    if (busy > 0) {
      // It may be one that another process holds (`status` next to the daemon): said as an open
      // that failed on a locked port, which is what `status` and `doctor` report as "in use".
      const which = busy === 1 ? "the one" : `the ${busy}`;
      throw new SharebridgeError(
        "DEVICE_OPEN_FAILED",
        `no free receiver has serial ${serial} (${found}): cannot lock port of ${which} in use`,
        context,
      );
    }
    throw new SharebridgeError(
      "DEVICE_NOT_FOUND",
      `no receiver with serial ${serial} is connected (${found})`,
      context,
    );
  };
}
