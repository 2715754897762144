/**
 * The receiver a `device` value names (DESIGN.md §3, §8): `auto` (found by USB id), a path, a
 * pattern (`/dev/ttyACM*`), `tcp://HOST:PORT`, or `emulate[:PROFILE]` — a receiver emulator in the
 * same process (profile g4 unless named), so every command can be tried on a machine with no
 * receiver attached. The emulator is loaded only then: the daemon on a real receiver never pays for
 * it. With a serial (receiver.serial) only the receiver with that serial is opened
 * (receiver-by-serial.ts).
 */
import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { deviceOpener, parseDeviceSpec } from "../receiver/device.js";
import type { TransportOpener } from "../receiver/transport.js";
import { openerBySerial } from "./receiver-by-serial.js";

export interface OpenedDevice {
  readonly opener: TransportOpener;
  /** Releases what the device needed besides the port (the in-process emulator). */
  release(): Promise<void>;
}

const EMULATE = /^emulate(?::([a-z0-9]+))?$/;

export interface DeviceOptions {
  /** The emulator's live readings (`emulate` only). */
  readonly live?: { intervalSeconds: number } | undefined;
  /** receiver.serial: open only the receiver with this serial (not for `emulate`). */
  readonly serial?: string | undefined;
}

/** The device named by a `--device`/`device` value. */
export async function deviceFromSpec(
  text: string,
  log: Logger,
  options: DeviceOptions = {},
): Promise<OpenedDevice> {
  const { live, serial } = options;
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
  const spec = parseDeviceSpec(text);
  const onDiscovered = (path: string, others: number) =>
    log.info({ device: path, otherReceivers: others }, "found the receiver");
  const opener =
    serial === undefined
      ? deviceOpener(spec, { onDiscovered })
      : openerBySerial(spec, serial, { log, onDiscovered });
  return { opener, release: async () => undefined };
}
