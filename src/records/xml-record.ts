/**
 * XML records (spec receiver-protocol §5.8): types 0 (ManufacturingData), 1 (FirmwareParameterData)
 * and 2 (PCSoftwareParameter) hold one 500-byte record per page. The record itself is decoded by the
 * page decoder (`decoders/xml.ts`); these helpers read the single record of such a page and throw
 * when it is unusable, because a caller asking for the receiver's identity cannot go on without it.
 *
 * The serial number is the `SerialNumber` attribute of the ManufacturingParameters element (§3.4).
 */
import { SharebridgeError } from "../errors.js";
import { XML_RECORD_LENGTH } from "./decoders/xml.js";
import { decodePage } from "./page.js";
import type { XmlRecord } from "./record-types.js";
import { isReceiverSerial } from "./serial.js";

export type { XmlRecord };
export { XML_RECORD_LENGTH };

/**
 * Decodes the single XML record of a page of type 0, 1 or 2 (header CRC and record CRC checked).
 * Throws PAGE_TRUNCATED, PAGE_BAD_CRC, PAGE_HEADER_INVALID (not an XML partition, or no record),
 * RECORD_BAD_CRC or XML_INVALID.
 */
export function decodeXmlRecordPage(page: Uint8Array): XmlRecord {
  const decoded = decodePage(page);
  const { header } = decoded;
  if (header.recordType > 2) {
    throw new SharebridgeError("PAGE_HEADER_INVALID", "not an XML record page", {
      recordType: header.recordType,
      pageNumber: header.pageNumber,
    });
  }
  const [record] = decoded.records;
  if (record?.kind === "xml") return record;
  const [problem] = decoded.problems;
  if (problem !== undefined) {
    throw new SharebridgeError(problem.code, `XML record: ${problem.reason}`, {
      recordType: header.recordType,
      pageNumber: header.pageNumber,
      revision: header.revision,
    });
  }
  throw new SharebridgeError("PAGE_HEADER_INVALID", "XML page holds no record", {
    pageNumber: header.pageNumber,
  });
}

export interface ManufacturingParameters {
  /** Two letters and eight digits; case varies between units (§3.4): compare case-insensitively. */
  readonly serialNumber: string;
  readonly hardwarePartNumber: string | undefined;
  readonly hardwareRevision: string | undefined;
  readonly dateTimeCreated: string | undefined;
  readonly hardwareId: string | undefined;
}

/** The receiver's identity from its manufacturing record (§3.4, §4.8). */
export function decodeManufacturingPage(page: Uint8Array): ManufacturingParameters {
  const { element } = decodeXmlRecordPage(page);
  if (element.name !== "ManufacturingParameters") {
    throw new SharebridgeError("XML_INVALID", "not a manufacturing record", { element: element.name });
  }
  const serialNumber = element.attributes["SerialNumber"];
  if (!isReceiverSerial(serialNumber)) {
    throw new SharebridgeError("XML_INVALID", "manufacturing record has no valid SerialNumber", {
      serialNumber: serialNumber ?? null,
    });
  }
  return {
    serialNumber,
    hardwarePartNumber: element.attributes["HardwarePartNumber"],
    hardwareRevision: element.attributes["HardwareRevision"],
    dateTimeCreated: element.attributes["DateTimeCreated"],
    hardwareId: element.attributes["HardwareId"],
  };
}
