/**
 * One request packet → the reply a receiver gives (spec receiver-protocol §3.1, §4.6, §4.7, §7):
 * ACK with the command's payload, or an error code chosen by the §7.2 policy. Pure with respect to
 * the transport: faults and latency are applied by the session afterwards.
 */
import { ACK } from "../../receiver/commands.js";
import { PAGE_LENGTH, type Packet } from "../../receiver/packet.js";
import type { ErrorPolicy } from "./error-policy.js";
import type { EmulatedReceiver } from "./receiver.js";

export const ResponseCode = {
  ACK,
  NAK: 2,
  INVALID_COMMAND: 3,
  INVALID_PARAM: 4,
  INCOMPLETE_PACKET_RECEIVED: 5,
  RECEIVER_ERROR: 6,
  INVALID_MODE: 7,
} as const;

/** Command ids (§3.1). */
export const CommandId = {
  Ping: 0x0a,
  ReadFirmwareHeader: 0x0b,
  ReadDatabasePartitionInfo: 0x0f,
  ReadDatabasePageRange: 0x10,
  ReadDatabasePages: 0x11,
  ReadDatabasePageHeader: 0x12,
  ReadTransmitterID: 0x19,
  ReadLanguage: 0x1b,
  ReadDisplayTimeOffset: 0x1d,
  WriteDisplayTimeOffset: 0x1e,
  ReadRTC: 0x1f,
  ReadBatteryLevel: 0x21,
  ReadSystemTime: 0x22,
  ReadSystemTimeOffset: 0x23,
  ReadGlucoseUnit: 0x25,
  ReadBlindedMode: 0x27,
  ReadClockMode: 0x29,
  ReadDeviceMode: 0x2b,
  ReadBatteryState: 0x30,
  ReadFlashPage: 0x33,
  ReadFirmwareSettings: 0x36,
  ReadChargerCurrentSetting: 0x3b,
  WriteChargerCurrentSetting: 0x3c,
} as const;

/**
 * Ids that exist but the emulator does not carry out (§7.2): the writes and destructive commands the
 * spec marks "never send" / "do not use", and the reads whose reply format is unknown (49, 55, 57).
 */
export const UNIMPLEMENTED_COMMAND_IDS: ReadonlySet<number> = new Set([
  26, 28, 32, 36, 38, 40, 42, 45, 46, 47, 49, 50, 52, 53, 55, 56, 57, 58,
]);
/** The ones that would be destructive on a real receiver: logged at warn when received. */
export const DANGEROUS_COMMAND_IDS: ReadonlySet<number> = new Set([32, 36, 45, 46, 47, 50, 52, 53]);

export type HandlerResult =
  | { readonly kind: "reply"; readonly code: number; readonly payload: Uint8Array; readonly pages: number }
  | { readonly kind: "silence" };

export interface HandlerContext {
  readonly receiver: EmulatedReceiver;
  readonly policy: ErrorPolicy;
  readonly pagesPerRequest: number;
  readonly chargerCurrentWidth: 1 | 4;
  /** Called for a dangerous command (the session logs it). */
  readonly onDangerous?: (commandId: number) => void;
}

const EMPTY = new Uint8Array(0);

const reply = (code: number, payload: Uint8Array = EMPTY, pages = 0): HandlerResult => ({
  kind: "reply",
  code,
  payload,
  pages,
});

const ack = (payload: Uint8Array = EMPTY, pages = 0) => reply(ResponseCode.ACK, payload, pages);

function u8(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff);
}

function u16(value: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value, true);
  return out;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

function i32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value, true);
  return out;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Expected request payload length per implemented command (§3.1). */
const REQUEST_LENGTH: Readonly<Record<number, number>> = {
  [CommandId.ReadDatabasePageRange]: 1,
  [CommandId.ReadDatabasePages]: 6,
  [CommandId.ReadDatabasePageHeader]: 5,
  [CommandId.WriteDisplayTimeOffset]: 4,
  [CommandId.ReadFlashPage]: 4,
  [CommandId.WriteChargerCurrentSetting]: 1,
};

const IMPLEMENTED: ReadonlySet<number> = new Set(Object.values(CommandId));

export function handleRequest(ctx: HandlerContext, packet: Packet): HandlerResult {
  const { policy } = ctx;
  const id = packet.code;
  if (!IMPLEMENTED.has(id)) {
    if (UNIMPLEMENTED_COMMAND_IDS.has(id)) {
      if (DANGEROUS_COMMAND_IDS.has(id)) ctx.onDangerous?.(id);
      return policy.unimplementedCommand === "ack" ? ack() : reply(ResponseCode.INVALID_COMMAND);
    }
    return policy.unknownCommand === "silence" ? { kind: "silence" } : reply(ResponseCode.INVALID_COMMAND);
  }
  if (policy.invalidModeCommands.includes(id)) return reply(ResponseCode.INVALID_MODE);
  const payload = packet.payload;
  if (payload.length !== (REQUEST_LENGTH[id] ?? 0)) {
    return reply(policy.badPayloadLength === "nak" ? ResponseCode.NAK : ResponseCode.INVALID_PARAM);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const rx = ctx.receiver;
  // Live mode: every reading due by now is in the database before anything is read (§7.1).
  rx.advance();
  switch (id) {
    case CommandId.Ping:
      return ack();
    case CommandId.ReadFirmwareHeader:
      return ack(ascii(rx.firmwareHeaderXml));
    case CommandId.ReadDatabasePartitionInfo:
      return ack(ascii(rx.partitionInfoXml));
    case CommandId.ReadDatabasePageRange:
      return pageRange(ctx, view.getUint8(0));
    case CommandId.ReadDatabasePages:
      return pages(ctx, view.getUint8(0), view.getUint32(1, true), view.getUint8(5));
    case CommandId.ReadDatabasePageHeader:
      return pageHeader(ctx, view.getUint8(0), view.getUint32(1, true));
    case CommandId.ReadTransmitterID:
      return ack(ascii(rx.identity.transmitterId));
    case CommandId.ReadLanguage:
      return ack(u16(rx.device.language));
    case CommandId.ReadDisplayTimeOffset:
      return ack(i32(rx.clock.displayOffset));
    case CommandId.WriteDisplayTimeOffset:
      rx.writeDisplayOffset(view.getInt32(0, true));
      return ack();
    case CommandId.ReadRTC:
      return ack(u32(rx.clock.rtc));
    case CommandId.ReadBatteryLevel:
      return ack(u32(rx.device.batteryLevel));
    case CommandId.ReadSystemTime:
      return ack(u32(rx.clock.systemTime));
    case CommandId.ReadSystemTimeOffset:
      return ack(i32(rx.clock.systemTimeOffset));
    case CommandId.ReadGlucoseUnit:
      return ack(u8(rx.device.glucoseUnit));
    case CommandId.ReadBlindedMode:
      return ack(u8(rx.device.blindedMode));
    case CommandId.ReadClockMode:
      return ack(u8(rx.device.clockMode));
    case CommandId.ReadDeviceMode:
      return ack(u8(rx.device.deviceMode));
    case CommandId.ReadBatteryState:
      return ack(u8(rx.batteryState));
    case CommandId.ReadFlashPage:
      // §7.1: an erased flash page reads as 528 × FF (CAP, page 1272).
      return ack(new Uint8Array(PAGE_LENGTH).fill(0xff));
    case CommandId.ReadFirmwareSettings:
      return ack(ascii(rx.profile.firmwareSettingsXml));
    case CommandId.ReadChargerCurrentSetting:
      // §9.1: DR reads one byte, AU-dev a 4-byte int; the width is a switch.
      return ack(ctx.chargerCurrentWidth === 4 ? u32(rx.device.chargerLevel) : u8(rx.device.chargerLevel));
    case CommandId.WriteChargerCurrentSetting: {
      const level = view.getUint8(0);
      if (level > 4) return reply(ResponseCode.INVALID_PARAM);
      rx.device.chargerLevel = level;
      return ack();
    }
    default:
      return reply(ResponseCode.INVALID_COMMAND);
  }
}

function validRecordType(ctx: HandlerContext, recordType: number): boolean {
  return recordType <= ctx.receiver.profile.maxRecordType;
}

/** §4.6: u32 firstPage, u32 lastPage; FFFFFFFF twice when empty (or no such partition on this profile). */
function pageRange(ctx: HandlerContext, recordType: number): HandlerResult {
  if (!validRecordType(ctx, recordType)) return reply(ResponseCode.INVALID_PARAM);
  const range = ctx.receiver.db.partition(recordType)?.range();
  const out = new Uint8Array(8).fill(0xff);
  if (range !== undefined) {
    const view = new DataView(out.buffer);
    view.setUint32(0, range.firstPage, true);
    view.setUint32(4, range.lastPage, true);
  }
  return ack(out);
}

/** §4.7 with the §7.2 rows for count 0, the per-request limit, and pages outside the range. */
function pages(ctx: HandlerContext, recordType: number, firstPage: number, requested: number): HandlerResult {
  const { policy } = ctx;
  if (!validRecordType(ctx, recordType) || requested === 0) return reply(ResponseCode.INVALID_PARAM);
  let count = requested;
  if (count > ctx.pagesPerRequest) {
    if (policy.tooManyPages === "nak") return reply(ResponseCode.NAK);
    if (policy.tooManyPages === "invalid-param") return reply(ResponseCode.INVALID_PARAM);
    count = ctx.pagesPerRequest;
  }
  const partition = ctx.receiver.db.partition(recordType);
  const range = partition?.range();
  const inRange = (page: number) => range !== undefined && page >= range.firstPage && page <= range.lastPage;
  if (!inRange(firstPage) && policy.pageOutOfRange === "invalid-param")
    return reply(ResponseCode.INVALID_PARAM);
  const lastRequested = firstPage + count - 1;
  if (inRange(firstPage) && range !== undefined && lastRequested > range.lastPage) {
    if (policy.pageCount === "truncate") count = range.lastPage - firstPage + 1;
    else if (policy.pageOutOfRange === "invalid-param") return reply(ResponseCode.INVALID_PARAM);
  }
  const out = new Uint8Array(count * PAGE_LENGTH).fill(0xff);
  for (let i = 0; i < count; i++) {
    const page = partition?.page(firstPage + i);
    if (page !== undefined) out.set(page, i * PAGE_LENGTH);
  }
  return ack(out, count);
}

function pageHeader(ctx: HandlerContext, recordType: number, page: number): HandlerResult {
  if (!validRecordType(ctx, recordType)) return reply(ResponseCode.INVALID_PARAM);
  const header = ctx.receiver.db.partition(recordType)?.header(page);
  if (header !== undefined) return ack(header);
  return ctx.policy.pageOutOfRange === "ff-fill"
    ? ack(new Uint8Array(28).fill(0xff))
    : reply(ResponseCode.INVALID_PARAM);
}
