/**
 * Who the receiver is: the serial number from its manufacturing record (spec receiver-protocol §3.4)
 * and the product and generation from its firmware header (§1.1, §4.8).
 *
 * The manufacturing partition is read at its LAST page: a refurbished or reassigned receiver can hold
 * more than one manufacturing record, and the newest one is its identity (§3.4, §9.1 "prefer last page").
 */
import { isSharebridgeError, RECORD_ERROR_CODES, SharebridgeError } from "../errors.js";
import { ReadDatabasePageRange, ReadFirmwareHeader } from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import { RECORD_TYPE } from "../wire/record-types.js";
import { decodeManufacturingPage, type ManufacturingParameters } from "./xml-record.js";

/** Receiver generations by FirmwareHeader ProductId (§1.1). Never used to choose record layouts (§5.9). */
const GENERATIONS: Readonly<Record<string, string>> = {
  G4Receiver: "G4",
  G5MobileReceiver: "G5 Mobile",
  ScoutReceiver: "G5 touchscreen",
  OrionReceiver: "G6 touchscreen",
};

export interface ReceiverIdentity {
  readonly serial: string;
  readonly productId: string;
  readonly productName: string;
  /** G4, G5 Mobile, G5 touchscreen, G6 touchscreen, or "unknown (<ProductId>)". */
  readonly generation: string;
  readonly firmwareVersion: string;
  readonly softwareNumber: string;
  readonly firmwareHeader: Readonly<Record<string, string>>;
  readonly manufacturing: ManufacturingParameters;
}

async function readManufacturing(receiver: ReceiverApi): Promise<ManufacturingParameters> {
  const range = await receiver.call(ReadDatabasePageRange, RECORD_TYPE.MANUFACTURING_DATA);
  if (range === undefined) {
    throw new SharebridgeError("SERIAL_NOT_FOUND", "the receiver has no manufacturing record", {});
  }
  const pages = range.firstPage === range.lastPage ? [range.lastPage] : [range.lastPage, range.firstPage];
  let cause: unknown;
  for (const pageNumber of pages) {
    const [page] = await receiver.readPages(RECORD_TYPE.MANUFACTURING_DATA, pageNumber, 1);
    try {
      if (page === undefined) throw new SharebridgeError("PAGE_TRUNCATED", "no manufacturing page returned");
      return decodeManufacturingPage(page);
    } catch (error) {
      if (!isRecordError(error)) throw error;
      cause ??= error;
    }
  }
  throw new SharebridgeError(
    "SERIAL_NOT_FOUND",
    "the receiver's manufacturing record holds no usable serial number",
    { pages, cause: isSharebridgeError(cause) ? cause.code : undefined },
    { cause },
  );
}

function isRecordError(error: unknown): boolean {
  return isSharebridgeError(error) && (RECORD_ERROR_CODES as readonly string[]).includes(error.code);
}

export function generationOf(productId: string): string {
  return GENERATIONS[productId] ?? `unknown (${productId || "no ProductId"})`;
}

/**
 * The firmware header and the manufacturing record: the last page of partition 0 (§9.1), and the
 * first when the last holds no usable record (at most two page reads). Throws SERIAL_NOT_FOUND
 * (a receiver error) when neither gives a serial; link errors pass through.
 */
export async function readIdentity(receiver: ReceiverApi): Promise<ReceiverIdentity> {
  const header = await receiver.call(ReadFirmwareHeader);
  const manufacturing = await readManufacturing(receiver);
  const productId = header["ProductId"] ?? "";
  return {
    serial: manufacturing.serialNumber,
    productId,
    productName: header["ProductName"] ?? "",
    generation: generationOf(productId),
    firmwareVersion: header["FirmwareVersion"] ?? "",
    softwareNumber: header["SoftwareNumber"] ?? "",
    firmwareHeader: header,
    manufacturing,
  };
}
