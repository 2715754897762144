/**
 * XML records of types 0, 1 and 2 (spec receiver-protocol §5.8), 500 bytes, one per page:
 *
 *   0 u32 system  4 u32 display  8..497 ASCII XML, NUL-padded  498 u16 CRC
 *
 * The text ends at the first NUL and is read as Latin-1 (any byte is a character: the markup, not the
 * encoding, decides; spec §10 #3). Type 0 holds one <ManufacturingParameters> element, type 2 one
 * <PCParameterRecord>; type 1's element name is not publicly known (§9.2), so any single element is
 * accepted there. Parse failures are XML_INVALID, which the page decoder reports as a bad record.
 */
import { SharebridgeError } from "../../errors.js";
import { latin1Text, parseSingleElement, parseXmlElements, type XmlElement } from "../../util/xml.js";
import type { XmlRecord } from "../record-types.js";
import type { RecordDecoder } from "./decoder.js";

export const XML_RECORD_LENGTH = 500;
const TEXT_OFFSET = 8;
const TEXT_LENGTH = XML_RECORD_LENGTH - TEXT_OFFSET - 2;

/** Element names by partition (§4.8); absent = any single element. */
const EXPECTED_ELEMENT: Readonly<Record<number, string>> = {
  0: "ManufacturingParameters",
  2: "PCParameterRecord",
};

function parseOnlyElement(text: string): XmlElement {
  const elements = parseXmlElements(text);
  const [only] = elements;
  if (only === undefined || elements.length !== 1) {
    throw new SharebridgeError("XML_INVALID", "expected a single XML element", { count: elements.length });
  }
  return only;
}

export const decodeXmlRecord: RecordDecoder<XmlRecord> = (view, offset, recordType, index) => {
  const text = new Uint8Array(view.buffer, view.byteOffset + offset + TEXT_OFFSET, TEXT_LENGTH);
  const nul = text.indexOf(0);
  const xml = latin1Text(nul < 0 ? text : text.subarray(0, nul));
  const expected = EXPECTED_ELEMENT[recordType];
  return {
    kind: "xml",
    recordType,
    index,
    systemSeconds: view.getUint32(offset, true),
    displaySeconds: view.getUint32(offset + 4, true),
    element: expected === undefined ? parseOnlyElement(xml) : parseSingleElement(xml, expected),
  };
};
