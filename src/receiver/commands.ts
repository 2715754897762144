/**
 * Command codecs (spec receiver-protocol §3.1): for each command the driver may send, its id, how
 * its request payload is built, and how its ACK payload is decoded into a typed value.
 *
 * Safety: this table is the only way to build a request. It holds the read commands of §3.1 and
 * exactly two writes (WriteDisplayTimeOffset, WriteChargerCurrentSetting), which only explicit CLI
 * commands use. The commands the spec marks "never send" or "do not use" (EraseDatabase,
 * ShutdownReceiver, ResetReceiver, WriteSystemTime, EnterFirmwareUpgradeMode, WriteFlashPage,
 * EnterSambaAccessMode, WriteTransmitterID, WritePCParameters, …) have no codec, and the link refuses
 * any id outside `SENDABLE_COMMAND_IDS` (src/wire/command-ids.ts) even if a codec were forged.
 */
import { describeError, type ErrorContext, SharebridgeError } from "../errors.js";
import { asciiText, parseSingleElement, parseXmlElements } from "../util/xml.js";
import { COMMAND_ID, type CommandName } from "../wire/command-ids.js";
import { decodePageHeader, PAGE_HEADER_LENGTH, PAGE_LENGTH, pageHeaderIntact } from "../wire/page.js";

export interface CommandCodec<Args extends unknown[], Result> {
  readonly id: number;
  readonly name: string;
  /** Request payload for the given arguments; validates them (REQUEST_INVALID). */
  encode(...args: Args): Uint8Array;
  /** Decodes an ACK payload; throws RESPONSE_MALFORMED when its shape is wrong. */
  decode(payload: Uint8Array, ...args: Args): Result;
}

const EMPTY = new Uint8Array(0);

function malformed(name: string, why: string, payload: Uint8Array, context: ErrorContext = {}): never {
  throw new SharebridgeError("RESPONSE_MALFORMED", `${name}: ${why}`, {
    command: name,
    payloadLength: payload.length,
    ...context,
  });
}

/** The payload as a view, when it has exactly `length` bytes (RESPONSE_MALFORMED with `expectedLength`). */
function expectLength(name: string, payload: Uint8Array, length: number): DataView {
  if (payload.length !== length) {
    malformed(name, `expected ${length} payload bytes`, payload, { expectedLength: length });
  }
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
}

function noArgs<Result>(
  name: CommandName,
  decode: (payload: Uint8Array) => Result,
): CommandCodec<[], Result> {
  return { id: COMMAND_ID[name], name, encode: () => EMPTY, decode };
}

const u8Reply = (name: CommandName) => noArgs(name, (p) => expectLength(name, p, 1).getUint8(0));
const u32Reply = (name: CommandName) => noArgs(name, (p) => expectLength(name, p, 4).getUint32(0, true));
const i32Reply = (name: CommandName) => noArgs(name, (p) => expectLength(name, p, 4).getInt32(0, true));

function checkRecordType(recordType: number): void {
  if (!Number.isInteger(recordType) || recordType < 0 || recordType > 0xff) {
    throw new SharebridgeError("REQUEST_INVALID", "record type must be a byte", { recordType });
  }
}

function checkPage(page: number): void {
  if (!Number.isInteger(page) || page < 0 || page >= 0xffffffff) {
    throw new SharebridgeError("REQUEST_INVALID", "page number must be a u32 below 0xFFFFFFFF", { page });
  }
}

/** Empty-payload success (Ping, writes: spec §3.1 says peers ignore any write payload). */
const ignorePayload = (): void => undefined;

// ---------------------------------------------------------------------------------------------
// Typed results

/** ReadDatabasePageRange: inclusive page numbers, or `undefined` for an empty partition (§4.6). */
export type PageRange = { readonly firstPage: number; readonly lastPage: number } | undefined;

export interface PartitionInfo {
  readonly schemaVersion: string;
  readonly pageHeaderVersion: string;
  readonly pageDataLength: number;
  readonly partitions: readonly PartitionEntry[];
}

export interface PartitionEntry {
  readonly id: number;
  readonly name: string;
  readonly revision: number;
  readonly recordLength: number;
}

/** Attributes of a single-element XML reply (FirmwareHeader, FirmwareSettings), verbatim. */
export type XmlAttributes = Readonly<Record<string, string>>;

/** ReadGlucoseUnit (§3.1). */
export const GLUCOSE_UNITS = { 0: "none", 1: "mg/dL", 2: "mmol/L" } as const;
/** ReadBatteryState (§3.1). */
export const BATTERY_STATES = { 1: "charging", 2: "not-charging", 3: "ntc-fault", 4: "bad-battery" } as const;
/** ReadClockMode (§3.1). */
export const CLOCK_MODES = { 0: "24-hour", 1: "12-hour" } as const;
/** Read/WriteChargerCurrentSetting levels (§3.1). */
export const CHARGER_CURRENT_LEVELS = {
  0: "off",
  1: "power-100mA",
  2: "power-500mA",
  3: "power-max",
  4: "power-suspended",
} as const;

/** Runs an XML parse of a reply; its XML_INVALID becomes RESPONSE_MALFORMED naming the command. */
function parseReplyXml<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new SharebridgeError(
      "RESPONSE_MALFORMED",
      `${name}: ${describeError(error)}`,
      { command: name },
      { cause: error },
    );
  }
}

function decodeXmlAttributes(name: string, element: string, payload: Uint8Array): XmlAttributes {
  return parseReplyXml(name, () => parseSingleElement(asciiText(payload), element).attributes);
}

function integerAttribute(name: string, attributes: XmlAttributes, key: string, payload: Uint8Array): number {
  const text = attributes[key];
  const value = text === undefined || !/^\d{1,9}$/.test(text) ? Number.NaN : Number(text);
  if (!Number.isInteger(value)) malformed(name, `attribute ${key} is not an integer`, payload);
  return value;
}

function decodePartitionInfo(payload: Uint8Array): PartitionInfo {
  const name = "ReadDatabasePartitionInfo";
  const [root, ...children] = parseReplyXml(name, () => parseXmlElements(asciiText(payload)));
  if (root === undefined || root.name !== "PartitionInfo")
    malformed(name, "root is not <PartitionInfo>", payload);
  const partitions = children.map((child): PartitionEntry => {
    if (child.name !== "Partition") malformed(name, `unexpected element <${child.name}>`, payload);
    return {
      id: integerAttribute(name, child.attributes, "Id", payload),
      name: child.attributes["Name"] ?? "",
      revision: integerAttribute(name, child.attributes, "RecordRevision", payload),
      recordLength: integerAttribute(name, child.attributes, "RecordLength", payload),
    };
  });
  return {
    schemaVersion: root.attributes["SchemaVersion"] ?? "",
    pageHeaderVersion: root.attributes["PageHeaderVersion"] ?? "",
    pageDataLength: integerAttribute(name, root.attributes, "PageDataLength", payload),
    partitions,
  };
}

// ---------------------------------------------------------------------------------------------
// The codecs, in command-id order (spec §3.1)

export const Ping = noArgs("Ping", (p) => {
  expectLength("Ping", p, 0);
});

export const ReadFirmwareHeader = noArgs("ReadFirmwareHeader", (p) =>
  decodeXmlAttributes("ReadFirmwareHeader", "FirmwareHeader", p),
);

export const ReadDatabasePartitionInfo = noArgs("ReadDatabasePartitionInfo", decodePartitionInfo);

export const ReadDatabasePageRange: CommandCodec<[recordType: number], PageRange> = {
  id: COMMAND_ID.ReadDatabasePageRange,
  name: "ReadDatabasePageRange",
  encode(recordType) {
    checkRecordType(recordType);
    return Uint8Array.of(recordType);
  },
  decode(payload) {
    const view = expectLength(this.name, payload, 8);
    const firstPage = view.getUint32(0, true);
    const lastPage = view.getUint32(4, true);
    // §4.6: an empty partition answers FFFFFFFF FFFFFFFF.
    if (firstPage === 0xffffffff && lastPage === 0xffffffff) return undefined;
    if (firstPage === 0xffffffff || lastPage === 0xffffffff || firstPage > lastPage) {
      malformed(this.name, `impossible range ${firstPage}..${lastPage}`, payload);
    }
    return { firstPage, lastPage };
  },
};

/**
 * ReadDatabasePages (§4.7): `count` consecutive pages from `firstPage`, concatenated. The decoder
 * checks the size and that each intact page header (its CRC holds) names the requested type and
 * page (header offsets 8 and 10, §4.3), so a stale or misplaced reply is caught here; decoding the
 * header and records is the page decoder's job. Returns views into the payload.
 */
export const ReadDatabasePages: CommandCodec<
  [recordType: number, firstPage: number, count: number],
  Uint8Array[]
> = {
  id: COMMAND_ID.ReadDatabasePages,
  name: "ReadDatabasePages",
  encode(recordType, firstPage, count) {
    checkRecordType(recordType);
    checkPage(firstPage);
    if (!Number.isInteger(count) || count < 1 || count > 0xff) {
      throw new SharebridgeError("REQUEST_INVALID", "page count must be in [1, 255]", { count });
    }
    const payload = new Uint8Array(6);
    const view = new DataView(payload.buffer);
    view.setUint8(0, recordType);
    view.setUint32(1, firstPage, true);
    view.setUint8(5, count);
    return payload;
  },
  decode(payload, recordType, firstPage, count) {
    expectLength(this.name, payload, count * PAGE_LENGTH);
    const pages: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const offset = i * PAGE_LENGTH;
      // Only a header that passes its own CRC can prove the reply is for other pages. One that fails
      // it arrived intact (the packet CRC held), so the flash itself is damaged: hand the page on and
      // let the page decoder report it, instead of failing the whole read on every attempt.
      if (pageHeaderIntact(payload, offset)) {
        const header = decodePageHeader(payload, offset);
        if (header.recordType !== recordType || header.pageNumber !== firstPage + i) {
          malformed(
            this.name,
            `page ${i} is type ${header.recordType} page ${header.pageNumber}, asked type ${recordType} page ${firstPage + i}`,
            payload,
          );
        }
      }
      pages.push(payload.subarray(offset, offset + PAGE_LENGTH));
    }
    return pages;
  },
};

/** ReadDatabasePageHeader (§3.1): the 28-byte page header (decoded by `page-header.ts`). */
export const ReadDatabasePageHeader: CommandCodec<[recordType: number, page: number], Uint8Array> = {
  id: COMMAND_ID.ReadDatabasePageHeader,
  name: "ReadDatabasePageHeader",
  encode(recordType, page) {
    checkRecordType(recordType);
    checkPage(page);
    const payload = new Uint8Array(5);
    const view = new DataView(payload.buffer);
    view.setUint8(0, recordType);
    view.setUint32(1, page, true);
    return payload;
  },
  decode(payload) {
    expectLength(this.name, payload, PAGE_HEADER_LENGTH);
    return payload;
  },
};

/** ReadTransmitterID (§3.1): ASCII, no NUL; 5 characters on G4, 6 expected on G5/G6 (§9.2). */
export const ReadTransmitterID = noArgs("ReadTransmitterID", (p) => {
  if (p.length > 16) malformed("ReadTransmitterID", "longer than 16 bytes", p);
  for (const byte of p) {
    if (byte < 0x20 || byte > 0x7e) malformed("ReadTransmitterID", "not printable ASCII", p);
  }
  return String.fromCharCode(...p);
});

/** ReadLanguage (§3.3): a Windows LCID. */
export const ReadLanguage = noArgs("ReadLanguage", (p) =>
  expectLength("ReadLanguage", p, 2).getUint16(0, true),
);

/** ReadDisplayTimeOffset (§6.1): display time − system time, seconds. */
export const ReadDisplayTimeOffset = i32Reply("ReadDisplayTimeOffset");

/**
 * WriteDisplayTimeOffset (§3.1, §6.1): sets the wearer's clock. Only the explicit `receiver
 * set-display-offset` command uses it; the sync never writes the receiver's clock (DESIGN.md §5).
 */
export const WriteDisplayTimeOffset: CommandCodec<[offsetSeconds: number], void> = {
  id: COMMAND_ID.WriteDisplayTimeOffset,
  name: "WriteDisplayTimeOffset",
  encode(offsetSeconds) {
    if (!Number.isInteger(offsetSeconds) || offsetSeconds < -0x80000000 || offsetSeconds > 0x7fffffff) {
      throw new SharebridgeError("REQUEST_INVALID", "display offset must be an i32 of seconds", {
        offsetSeconds,
      });
    }
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setInt32(0, offsetSeconds, true);
    return payload;
  },
  decode: ignorePayload,
};

export const ReadRTC = u32Reply("ReadRTC");
/** ReadBatteryLevel (§3.1): u32 percent (AU found it unreliable over USB). */
export const ReadBatteryLevel = u32Reply("ReadBatteryLevel");
export const ReadSystemTime = u32Reply("ReadSystemTime");
/** ReadSystemTimeOffset (§3.1): signed, as DR decodes it. */
export const ReadSystemTimeOffset = i32Reply("ReadSystemTimeOffset");
export const ReadGlucoseUnit = u8Reply("ReadGlucoseUnit");
export const ReadBlindedMode = noArgs(
  "ReadBlindedMode",
  (p) => expectLength("ReadBlindedMode", p, 1).getUint8(0) !== 0,
);
export const ReadClockMode = u8Reply("ReadClockMode");
/** ReadDeviceMode (§3.1): meaning unknown; 0 observed. */
export const ReadDeviceMode = u8Reply("ReadDeviceMode");
export const ReadBatteryState = u8Reply("ReadBatteryState");

export const ReadFirmwareSettings = noArgs("ReadFirmwareSettings", (p) =>
  decodeXmlAttributes("ReadFirmwareSettings", "FirmwareSettings", p),
);

/**
 * ReadChargerCurrentSetting (§3.1): the payload width is disputed (§9.1: DR reads 1 byte, AU-dev a
 * 4-byte int). Both are accepted; the level is the low byte either way.
 */
export const ReadChargerCurrentSetting = noArgs("ReadChargerCurrentSetting", (p) => {
  if (p.length === 1) return p[0] as number;
  if (p.length === 4) return new DataView(p.buffer, p.byteOffset, 4).getUint32(0, true);
  return malformed("ReadChargerCurrentSetting", "expected 1 or 4 payload bytes", p);
});

/** WriteChargerCurrentSetting (§3.1): only the explicit `receiver set-charger-current` command uses it. */
export const WriteChargerCurrentSetting: CommandCodec<[level: number], void> = {
  id: COMMAND_ID.WriteChargerCurrentSetting,
  name: "WriteChargerCurrentSetting",
  encode(level) {
    if (!Number.isInteger(level) || !(level in CHARGER_CURRENT_LEVELS)) {
      throw new SharebridgeError("REQUEST_INVALID", "charger current level must be 0–4", { level });
    }
    return Uint8Array.of(level);
  },
  decode: ignorePayload,
};

/** Every codec the driver has, by name. */
export const COMMANDS = {
  Ping,
  ReadFirmwareHeader,
  ReadDatabasePartitionInfo,
  ReadDatabasePageRange,
  ReadDatabasePages,
  ReadDatabasePageHeader,
  ReadTransmitterID,
  ReadLanguage,
  ReadDisplayTimeOffset,
  WriteDisplayTimeOffset,
  ReadRTC,
  ReadBatteryLevel,
  ReadSystemTime,
  ReadSystemTimeOffset,
  ReadGlucoseUnit,
  ReadBlindedMode,
  ReadClockMode,
  ReadDeviceMode,
  ReadBatteryState,
  ReadFirmwareSettings,
  ReadChargerCurrentSetting,
  WriteChargerCurrentSetting,
} as const;
