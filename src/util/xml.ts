/**
 * A deliberately small reader for the receiver's XML documents (spec receiver-protocol §4.8, §5.8):
 * flat elements with attributes, quoted with ' or ", no declaration, no text content that matters,
 * at most one level of children (PartitionInfo). Input is bounded by the packet or record it came from.
 *
 * A full XML library would accept far more than these documents can contain; this reader accepts
 * exactly the element/attribute grammar they use and rejects anything else with XML_INVALID.
 */
import { SharebridgeError } from "../errors.js";

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Longest document accepted (a PartitionInfo is about 1.1 kB; a record holds at most 490 bytes). */
const MAX_DOCUMENT_LENGTH = 16_384;
const TAG = /<\s*(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:'[^'<]*'|"[^"<]*"))*)\s*(\/?)>/gy;
const ATTRIBUTE = /([A-Za-z_][\w.:-]*)\s*=\s*(?:'([^'<]*)'|"([^"<]*)")/g;
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? "");
}

/**
 * Parses the start/empty tags of a document into elements, in document order. Closing tags are
 * checked for balance; whitespace between tags is allowed; any other text is an error.
 */
export function parseXmlElements(text: string): XmlElement[] {
  if (text.length > MAX_DOCUMENT_LENGTH) {
    throw new SharebridgeError("XML_INVALID", "XML document too long", { length: text.length });
  }
  const elements: XmlElement[] = [];
  const open: string[] = [];
  let position = 0;
  while (position < text.length) {
    const space = /\s*/y;
    space.lastIndex = position;
    space.exec(text);
    position = space.lastIndex;
    if (position >= text.length) break;
    TAG.lastIndex = position;
    const match = TAG.exec(text);
    if (match === null) {
      throw new SharebridgeError("XML_INVALID", "unexpected text in XML document", {
        offset: position,
        near: text.slice(position, position + 24),
      });
    }
    position = TAG.lastIndex;
    const [, closing, name = "", attributeText = "", selfClosing] = match;
    if (closing === "/") {
      if (open.pop() !== name) throw new SharebridgeError("XML_INVALID", "unbalanced closing tag", { name });
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const attribute of attributeText.matchAll(ATTRIBUTE)) {
      const key = attribute[1] ?? "";
      if (Object.hasOwn(attributes, key)) {
        throw new SharebridgeError("XML_INVALID", "duplicate attribute", { name, attribute: key });
      }
      attributes[key] = decodeEntities(attribute[2] ?? attribute[3] ?? "");
    }
    elements.push({ name, attributes });
    if (selfClosing !== "/") open.push(name);
  }
  if (open.length > 0) throw new SharebridgeError("XML_INVALID", "unclosed element", { name: open.at(-1) });
  if (elements.length === 0) throw new SharebridgeError("XML_INVALID", "empty XML document", {});
  return elements;
}

/** Parses a document that must consist of exactly one element named `name`. */
export function parseSingleElement(text: string, name: string): XmlElement {
  const elements = parseXmlElements(text);
  const first = elements[0];
  if (elements.length !== 1 || first === undefined || first.name !== name) {
    throw new SharebridgeError("XML_INVALID", `expected a single <${name}> element`, {
      found: elements.map((e) => e.name).slice(0, 4),
    });
  }
  return first;
}

/**
 * Latin-1 bytes → string: every byte is a character, so text from a record whose firmware wrote
 * something beyond ASCII still reaches the XML reader, which judges the markup (spec §10 #3).
 * The input is bounded by the record it comes from.
 */
export function latin1Text(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i] as number);
  return text;
}

/** ASCII bytes → string, refusing non-ASCII (the receiver's documents are plain ASCII, §4.8). */
export function asciiText(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte > 0x7e || (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)) {
      throw new SharebridgeError("XML_INVALID", "non-ASCII byte in XML document", { offset: i, byte });
    }
    text += String.fromCharCode(byte);
  }
  return text;
}
