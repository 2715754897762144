/**
 * One request packet → the reply a receiver gives (spec receiver-protocol §3.1, §4.6, §4.7, §7):
 * ACK with the command's payload, or an error code chosen by the §7.2 policy. Pure with respect to
 * the transport: faults and latency are applied by the session afterwards.
 */
import {
  COMMAND_ID,
  DESTRUCTIVE_COMMAND_IDS,
  KNOWN_COMMAND_IDS,
  SENDABLE_COMMAND_IDS,
} from "../../wire/command-ids.js";
import type { Packet } from "../../wire/packet.js";
import { PAGE_HEADER_LENGTH, PAGE_LENGTH } from "../../wire/page.js";
import { RESPONSE_CODE } from "../../wire/response-codes.js";
import type { ErrorPolicy } from "./error-policy.js";
import type { EmulatedReceiver } from "./receiver.js";

/** The commands the emulator carries out (§3.1): every one the driver may send, and ReadFlashPage. */
const IMPLEMENTED: ReadonlySet<number> = new Set([...SENDABLE_COMMAND_IDS, COMMAND_ID.ReadFlashPage]);

/**
 * Ids that exist but the emulator does not carry out (§7.2): the writes and destructive commands the
 * spec marks "never send" / "do not use", and the reads whose reply format is unknown (49, 55, 57).
 */
export const UNIMPLEMENTED_COMMAND_IDS: ReadonlySet<number> = new Set(
  [...KNOWN_COMMAND_IDS].filter((id) => !IMPLEMENTED.has(id)),
);

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

const ack = (payload: Uint8Array = EMPTY, pages = 0) => reply(RESPONSE_CODE.ACK, payload, pages);

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
  [COMMAND_ID.ReadDatabasePageRange]: 1,
  [COMMAND_ID.ReadDatabasePages]: 6,
  [COMMAND_ID.ReadDatabasePageHeader]: 5,
  [COMMAND_ID.WriteDisplayTimeOffset]: 4,
  [COMMAND_ID.ReadFlashPage]: 4,
  [COMMAND_ID.WriteChargerCurrentSetting]: 1,
};

export function handleRequest(ctx: HandlerContext, packet: Packet): HandlerResult {
  const { policy } = ctx;
  const id = packet.code;
  if (!IMPLEMENTED.has(id)) {
    if (UNIMPLEMENTED_COMMAND_IDS.has(id)) {
      if (DESTRUCTIVE_COMMAND_IDS.has(id)) ctx.onDangerous?.(id);
      return policy.unimplementedCommand === "ack" ? ack() : reply(RESPONSE_CODE.INVALID_COMMAND);
    }
    return policy.unknownCommand === "silence" ? { kind: "silence" } : reply(RESPONSE_CODE.INVALID_COMMAND);
  }
  if (policy.invalidModeCommands.includes(id)) return reply(RESPONSE_CODE.INVALID_MODE);
  const payload = packet.payload;
  if (payload.length !== (REQUEST_LENGTH[id] ?? 0)) {
    return reply(policy.badPayloadLength === "nak" ? RESPONSE_CODE.NAK : RESPONSE_CODE.INVALID_PARAM);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const rx = ctx.receiver;
  // Live mode: every reading due by now is in the database before anything is read (§7.1).
  rx.advance();
  switch (id) {
    case COMMAND_ID.Ping:
      return ack();
    case COMMAND_ID.ReadFirmwareHeader:
      return ack(ascii(rx.firmwareHeaderXml));
    case COMMAND_ID.ReadDatabasePartitionInfo:
      return ack(ascii(rx.partitionInfoXml));
    case COMMAND_ID.ReadDatabasePageRange:
      return pageRange(ctx, view.getUint8(0));
    case COMMAND_ID.ReadDatabasePages:
      return pages(ctx, view.getUint8(0), view.getUint32(1, true), view.getUint8(5));
    case COMMAND_ID.ReadDatabasePageHeader:
      return pageHeader(ctx, view.getUint8(0), view.getUint32(1, true));
    case COMMAND_ID.ReadTransmitterID:
      return ack(ascii(rx.identity.transmitterId));
    case COMMAND_ID.ReadLanguage:
      return ack(u16(rx.device.language));
    case COMMAND_ID.ReadDisplayTimeOffset:
      return ack(i32(rx.clock.displayOffset));
    case COMMAND_ID.WriteDisplayTimeOffset:
      rx.writeDisplayOffset(view.getInt32(0, true));
      return ack();
    case COMMAND_ID.ReadRTC:
      return ack(u32(rx.clock.rtc));
    case COMMAND_ID.ReadBatteryLevel:
      return ack(u32(rx.device.batteryLevel));
    case COMMAND_ID.ReadSystemTime:
      return ack(u32(rx.clock.systemTime));
    case COMMAND_ID.ReadSystemTimeOffset:
      return ack(i32(rx.clock.systemTimeOffset));
    case COMMAND_ID.ReadGlucoseUnit:
      return ack(u8(rx.device.glucoseUnit));
    case COMMAND_ID.ReadBlindedMode:
      return ack(u8(rx.device.blindedMode));
    case COMMAND_ID.ReadClockMode:
      return ack(u8(rx.device.clockMode));
    case COMMAND_ID.ReadDeviceMode:
      return ack(u8(rx.device.deviceMode));
    case COMMAND_ID.ReadBatteryState:
      return ack(u8(rx.batteryState));
    case COMMAND_ID.ReadFlashPage:
      // §7.1: an erased flash page reads as 528 × FF (CAP, page 1272).
      return ack(new Uint8Array(PAGE_LENGTH).fill(0xff));
    case COMMAND_ID.ReadFirmwareSettings:
      return ack(ascii(rx.profile.firmwareSettingsXml));
    case COMMAND_ID.ReadChargerCurrentSetting:
      // §9.1: DR reads one byte, AU-dev a 4-byte int; the width is a switch.
      return ack(ctx.chargerCurrentWidth === 4 ? u32(rx.device.chargerLevel) : u8(rx.device.chargerLevel));
    case COMMAND_ID.WriteChargerCurrentSetting: {
      const level = view.getUint8(0);
      if (level > 4) return reply(RESPONSE_CODE.INVALID_PARAM);
      rx.device.chargerLevel = level;
      return ack();
    }
    default:
      return reply(RESPONSE_CODE.INVALID_COMMAND);
  }
}

function validRecordType(ctx: HandlerContext, recordType: number): boolean {
  return recordType <= ctx.receiver.profile.maxRecordType;
}

/** §4.6: u32 firstPage, u32 lastPage; FFFFFFFF twice when empty (or no such partition on this profile). */
function pageRange(ctx: HandlerContext, recordType: number): HandlerResult {
  if (!validRecordType(ctx, recordType)) return reply(RESPONSE_CODE.INVALID_PARAM);
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
  if (!validRecordType(ctx, recordType) || requested === 0) return reply(RESPONSE_CODE.INVALID_PARAM);
  let count = requested;
  if (count > ctx.pagesPerRequest) {
    if (policy.tooManyPages === "nak") return reply(RESPONSE_CODE.NAK);
    if (policy.tooManyPages === "invalid-param") return reply(RESPONSE_CODE.INVALID_PARAM);
    count = ctx.pagesPerRequest;
  }
  const partition = ctx.receiver.db.partition(recordType);
  const range = partition?.range();
  const inRange = (page: number) => range !== undefined && page >= range.firstPage && page <= range.lastPage;
  if (!inRange(firstPage) && policy.pageOutOfRange === "invalid-param")
    return reply(RESPONSE_CODE.INVALID_PARAM);
  const lastRequested = firstPage + count - 1;
  if (inRange(firstPage) && range !== undefined && lastRequested > range.lastPage) {
    if (policy.pageCount === "truncate") count = range.lastPage - firstPage + 1;
    else if (policy.pageOutOfRange === "invalid-param") return reply(RESPONSE_CODE.INVALID_PARAM);
  }
  const out = new Uint8Array(count * PAGE_LENGTH).fill(0xff);
  for (let i = 0; i < count; i++) {
    const page = partition?.page(firstPage + i);
    if (page !== undefined) out.set(page, i * PAGE_LENGTH);
  }
  return ack(out, count);
}

function pageHeader(ctx: HandlerContext, recordType: number, page: number): HandlerResult {
  if (!validRecordType(ctx, recordType)) return reply(RESPONSE_CODE.INVALID_PARAM);
  const header = ctx.receiver.db.partition(recordType)?.header(page);
  if (header !== undefined) return ack(header);
  return ctx.policy.pageOutOfRange === "ff-fill"
    ? ack(new Uint8Array(PAGE_HEADER_LENGTH).fill(0xff))
    : reply(RESPONSE_CODE.INVALID_PARAM);
}
