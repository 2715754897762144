/**
 * The shape of a record decoder: a plain function over the page's single DataView (STYLE.md lesson 5).
 *
 * `offset` is where the record starts inside the view; the page decoder has already checked that
 * `offset + length` lies inside the page and that the record CRC matches, so decoders read fixed
 * offsets without bounds checks of their own. A decoder throws only SharebridgeError (for a record
 * whose CRC is right but whose content is impossible, e.g. a sub-record count beyond the space);
 * the page decoder turns that into a reported bad record.
 */
export type RecordDecoder<R> = (view: DataView, offset: number, recordType: number, index: number) => R;

/**
 * Short ASCII field (transmitter id, sensor code): printable bytes only, stopping at the first NUL;
 * other bytes are dropped rather than decoded, because the field is informational (spec §5.4, §5.7).
 */
export function readAscii(view: DataView, offset: number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    const byte = view.getUint8(offset + i);
    if (byte === 0) break;
    if (byte >= 0x20 && byte <= 0x7e) text += String.fromCharCode(byte);
  }
  return text;
}
