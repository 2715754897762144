/**
 * Whole numbers from text (command-line options, environment variables): decimal digits with an
 * optional minus sign, nothing else — no "1e3", "0x10", " 5" or "5.0", which Number() would take.
 */

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

const DECIMAL = /^-?[0-9]{1,16}$/;

/** The number `text` spells, if it is a whole number within the range; else undefined. */
export function parseInteger(text: string, range: IntegerRange): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= range.min && value <= range.max ? value : undefined;
}

/** "from 1 to 3600", for the messages that refuse a number. */
export function rangeInWords({ min, max }: IntegerRange): string {
  return `from ${min} to ${max}`;
}
