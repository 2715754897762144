/**
 * Reading a command's own option values (node:util parseArgs gives strings and booleans): one way
 * for every command to take a string, a whole number, a decimal, one of a few words or a list, and
 * one wording for each refusal (a USAGE error naming the option, exit 2).
 */
import { SharebridgeError } from "../errors.js";
import { parseInteger, rangeInWords } from "../util/integer.js";
import type { OptionValues } from "./command.js";

/** Refuses the command line, naming the option. */
export function usage(message: string, option: string): never {
  throw new SharebridgeError("USAGE", message, { option });
}

/** A string option's value, or undefined when absent; an empty value is refused. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") usage(`--${name} needs a value`, name);
  return value;
}

/** A number option read by `parse`, within [min, max], or undefined when absent; `what` names its kind. */
function numberOption(
  values: OptionValues,
  name: string,
  range: { min: number; max: number },
  what: string,
  parse: (text: string) => number | undefined,
): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = parse(text);
  if (value === undefined || !(value >= range.min && value <= range.max)) {
    usage(`--${name} must be ${what} ${rangeInWords(range)}, got "${text.slice(0, 40)}"`, name);
  }
  return value;
}

/** A whole number from `min` to `max`, or undefined when absent. */
export function integerOption(
  values: OptionValues,
  name: string,
  min: number,
  max: number,
): number | undefined {
  return numberOption(values, name, { min, max }, "a whole number", (text) =>
    parseInteger(text, { min, max }),
  );
}

/** A decimal number (at most 6 decimal places) from `min` to `max`, or undefined when absent. */
export function decimalOption(
  values: OptionValues,
  name: string,
  min: number,
  max: number,
): number | undefined {
  return numberOption(values, name, { min, max }, "a number", (text) =>
    /^-?[0-9]{1,9}(\.[0-9]{1,6})?$/.test(text) ? Number(text) : undefined,
  );
}

/** One of `allowed`, or undefined when absent. */
export function oneOfOption<T extends string>(
  values: OptionValues,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text))
    usage(`--${name} must be one of ${allowed.join(", ")}`, name);
  return text as T;
}

/** Every value of a repeatable option (`multiple: true`), in order; empty when absent. */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => {
    if (typeof v !== "string" || v === "") usage(`--${name} needs a value`, name);
    return v;
  });
}
