/**
 * `sharebridge receiver info [--json]`: identity, firmware, the three clocks and their offsets
 * (spec §6.1), battery, glucose unit, and every partition with its layout and page range.
 */
import { type Clock, systemClock } from "../clock.js";
import { isSharebridgeError } from "../errors.js";
import * as C from "../receiver/commands.js";
import type { Receiver } from "../receiver/receiver.js";
import { readIdentity } from "../records/identity.js";
import { receiverSecondsToNaiveIso } from "../time/epoch.js";
import type { Command } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { withReceiver } from "./receiver-connection.js";

export interface ReceiverInfo {
  device: string;
  serial: string;
  productId: string;
  productName: string;
  generation: string;
  firmwareVersion: string;
  softwareNumber: string;
  transmitterId: string | null;
  /** Receiver seconds since 2009-01-01 (spec §6.1). */
  systemTime: number;
  rtc: number;
  systemTimeOffset: number;
  displayTimeOffset: number;
  /** systemTime + displayTimeOffset: the wearer's clock. */
  displayTime: number;
  /** Host UTC when the clocks were read. */
  hostTime: string;
  batteryLevel: number | null;
  batteryState: string | null;
  glucoseUnit: string | null;
  language: number | null;
  clockMode: string | null;
  blinded: boolean | null;
  chargerCurrent: string | null;
  pagesPerRequest: number;
  partitions: {
    id: number;
    name: string;
    revision: number;
    recordLength: number;
    firstPage: number | null;
    lastPage: number | null;
  }[];
}

/** Settings some firmware may refuse (AU disabled the battery level as unreliable, spec §3.1): null then. */
async function optional<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isSharebridgeError(error, "RECEIVER_NAK")) return null;
    throw error;
  }
}

function named(table: Readonly<Record<number, string>>, value: number | null): string | null {
  return value === null ? null : (table[value] ?? `unknown (${value})`);
}

export async function readReceiverInfo(
  receiver: Receiver,
  clock: Clock = systemClock,
): Promise<ReceiverInfo> {
  const identity = await readIdentity(receiver);
  const systemTime = await receiver.call(C.ReadSystemTime);
  const hostTime = new Date(clock.now()).toISOString();
  const rtc = await receiver.call(C.ReadRTC);
  const systemTimeOffset = await receiver.call(C.ReadSystemTimeOffset);
  const displayTimeOffset = await receiver.call(C.ReadDisplayTimeOffset);
  const info = await receiver.call(C.ReadDatabasePartitionInfo);
  const partitions: ReceiverInfo["partitions"] = [];
  for (const partition of info.partitions) {
    const range = await receiver.call(C.ReadDatabasePageRange, partition.id);
    partitions.push({
      id: partition.id,
      name: partition.name,
      revision: partition.revision,
      recordLength: partition.recordLength,
      firstPage: range?.firstPage ?? null,
      lastPage: range?.lastPage ?? null,
    });
  }
  return {
    device: receiver.description,
    serial: identity.serial,
    productId: identity.productId,
    productName: identity.productName,
    generation: identity.generation,
    firmwareVersion: identity.firmwareVersion,
    softwareNumber: identity.softwareNumber,
    transmitterId: await optional(() => receiver.call(C.ReadTransmitterID)),
    systemTime,
    rtc,
    systemTimeOffset,
    displayTimeOffset,
    displayTime: systemTime + displayTimeOffset,
    hostTime,
    batteryLevel: await optional(() => receiver.call(C.ReadBatteryLevel)),
    batteryState: named(C.BATTERY_STATES, await optional(() => receiver.call(C.ReadBatteryState))),
    glucoseUnit: named(C.GLUCOSE_UNITS, await optional(() => receiver.call(C.ReadGlucoseUnit))),
    language: await optional(() => receiver.call(C.ReadLanguage)),
    clockMode: named(C.CLOCK_MODES, await optional(() => receiver.call(C.ReadClockMode))),
    blinded: await optional(() => receiver.call(C.ReadBlindedMode)),
    chargerCurrent: named(
      C.CHARGER_CURRENT_LEVELS,
      await optional(() => receiver.call(C.ReadChargerCurrentSetting)),
    ),
    pagesPerRequest: receiver.pagesPerRequest,
    partitions,
  };
}

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? "−" : "+";
  const abs = Math.abs(seconds);
  const d = Math.floor(abs / 86400);
  const h = Math.floor((abs % 86400) / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  const days = d > 0 ? `${d}d ` : "";
  return `${sign}${days}${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s (${seconds} s)`;
}

export function formatReceiverInfo(info: ReceiverInfo): string {
  const line = (label: string, value: unknown) => `${label.padEnd(22)}${value ?? "—"}\n`;
  let out = "";
  out += line("Device", info.device);
  out += line("Serial number", info.serial);
  out += line("Product", `${info.productName} (${info.productId}), ${info.generation}`);
  out += line("Firmware", `${info.firmwareVersion} (${info.softwareNumber})`);
  out += line("Transmitter", info.transmitterId);
  out += line(
    "System time",
    `${receiverSecondsToNaiveIso(info.systemTime).replace("T", " ")} receiver clock (${info.systemTime} s)`,
  );
  out += line("  RTC", `${info.rtc} s; system offset ${formatOffset(info.systemTimeOffset)}`);
  out += line(
    "Display time",
    `${receiverSecondsToNaiveIso(info.displayTime).replace("T", " ")} wearer's clock`,
  );
  out += line("  display offset", formatOffset(info.displayTimeOffset));
  out += line("Host time (UTC)", info.hostTime);
  out += line(
    "Battery",
    `${info.batteryLevel === null ? "—" : `${info.batteryLevel} %`}, ${info.batteryState ?? "—"}`,
  );
  out += line("Glucose unit", info.glucoseUnit);
  out += line("Clock mode", info.clockMode);
  out += line("Pages per request", info.pagesPerRequest);
  out += "\nPartitions:\n";
  out += "  id  name                    rev  length  pages\n";
  for (const p of info.partitions) {
    const pages =
      p.firstPage === null
        ? "empty"
        : `${p.firstPage}–${p.lastPage} (${(p.lastPage ?? 0) - p.firstPage + 1})`;
    out += `  ${String(p.id).padStart(2)}  ${p.name.padEnd(22)}  ${String(p.revision).padStart(3)}  ${String(p.recordLength).padStart(6)}  ${pages}\n`;
  }
  return out;
}

const command: Command = {
  usage: "[--json]",
  options: { json: { type: "boolean" } },
  async run(context) {
    const info = await withReceiver(context, (receiver) => readReceiverInfo(receiver, context.clock));
    context.stdout.write(
      context.values["json"] === true ? `${JSON.stringify(info)}\n` : formatReceiverInfo(info),
    );
    return EXIT.OK;
  },
};

export default command;
