/**
 * Who the receiver is: the serial number from its manufacturing record (spec receiver-protocol §3.4)
 * and the product and generation from its firmware header (§1.1, §4.8).
 *
 * The manufacturing partition is read at its LAST page: a refurbished or reassigned receiver can hold
 * more than one manufacturing record, and the newest one is its identity (§3.4, §9.1 "prefer last page").
 */
import { SharebridgeError } from "../errors.js";
import { ReadDatabasePageRange, ReadFirmwareHeader } from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import { decodeManufacturingPage, type ManufacturingParameters } from "./xml-record.js";

const MANUFACTURING_DATA = 0;

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

export function generationOf(productId: string): string {
  return GENERATIONS[productId] ?? `unknown (${productId || "no ProductId"})`;
}

export async function readIdentity(receiver: ReceiverApi): Promise<ReceiverIdentity> {
  const header = await receiver.call(ReadFirmwareHeader);
  const range = await receiver.call(ReadDatabasePageRange, MANUFACTURING_DATA);
  if (range === undefined) {
    throw new SharebridgeError("HISTORY_DISCONTINUITY", "the receiver has no manufacturing record", {});
  }
  const [page] = await receiver.readPages(MANUFACTURING_DATA, range.lastPage, 1);
  if (page === undefined)
    throw new SharebridgeError("RESPONSE_MALFORMED", "no manufacturing page returned", {});
  const manufacturing = decodeManufacturingPage(page);
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
