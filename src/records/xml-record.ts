/**
 * XML records (spec receiver-protocol §5.8): types 0 (ManufacturingData), 1 (FirmwareParameterData)
 * and 2 (PCSoftwareParameter) hold one 500-byte record per page:
 *
 *   0 u32 SystemTime   4 u32 DisplayTime   8..497 ASCII XML, NUL-padded   498 u16 CRC of bytes 0..497
 *
 * The serial number is the `SerialNumber` attribute of the ManufacturingParameters element (§3.4).
 */
import { SharebridgeError } from "../errors.js";
import { hasTrailingCrc } from "../receiver/crc16.js";
import { asciiText, parseSingleElement, parseXmlElements, type XmlElement } from "../util/xml.js";
import { decodePageHeader, PAGE_HEADER_LENGTH, PAGE_LENGTH } from "./page-header.js";

export const XML_RECORD_LENGTH = 500;
const XML_TEXT_OFFSET = 8;

export interface XmlRecord {
  readonly systemSeconds: number;
  readonly displaySeconds: number;
  readonly element: XmlElement;
}

/** Decodes the single XML record of a page of type 0, 1 or 2 (header CRC and record CRC checked). */
export function decodeXmlRecordPage(page: Uint8Array): XmlRecord {
  if (page.length !== PAGE_LENGTH) {
    throw new SharebridgeError("PAGE_TRUNCATED", "a page is 528 bytes", { length: page.length });
  }
  const header = decodePageHeader(page);
  if (header.recordCount < 1) {
    throw new SharebridgeError("PAGE_HEADER_INVALID", "XML page holds no record", {
      pageNumber: header.pageNumber,
    });
  }
  const start = PAGE_HEADER_LENGTH;
  const end = start + XML_RECORD_LENGTH;
  if (!hasTrailingCrc(page, start, end - 2)) {
    throw new SharebridgeError("RECORD_BAD_CRC", "XML record CRC mismatch", {
      recordType: header.recordType,
      pageNumber: header.pageNumber,
    });
  }
  const view = new DataView(page.buffer, page.byteOffset + start, XML_RECORD_LENGTH);
  const textBytes = page.subarray(start + XML_TEXT_OFFSET, end - 2);
  const nul = textBytes.indexOf(0);
  const text = asciiText(nul < 0 ? textBytes : textBytes.subarray(0, nul));
  const expected = expectedElement(header.recordType);
  const element = expected === undefined ? parseOnlyElement(text) : parseSingleElement(text, expected);
  return { systemSeconds: view.getUint32(0, true), displaySeconds: view.getUint32(4, true), element };
}

function parseOnlyElement(text: string): XmlElement {
  const elements = parseXmlElements(text);
  const [only] = elements;
  if (only === undefined || elements.length !== 1) {
    throw new SharebridgeError("XML_INVALID", "expected a single XML element", { count: elements.length });
  }
  return only;
}

function expectedElement(recordType: number): string | undefined {
  switch (recordType) {
    case 0:
      return "ManufacturingParameters";
    case 2:
      return "PCParameterRecord";
    default:
      // Type 1's element name is not publicly known (§9.2): accept whatever single element it holds.
      return undefined;
  }
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
  const serialNumber = element.attributes["SerialNumber"];
  if (serialNumber === undefined || !/^[A-Za-z0-9]{4,20}$/.test(serialNumber)) {
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
