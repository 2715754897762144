/**
 * The kinds of value a configuration key can hold, and how each is checked and read from text.
 *
 * A key (schema.ts) is one of these plus its documentation: help text, default, environment
 * variable, command-line flag. Each kind knows how to validate a value from the JSON file
 * (`parse`) and how to turn an environment variable's or a flag's text into such a value
 * (`fromText`), so the file, the environment and the command line are checked by the same code.
 *
 * Messages name what was expected, never the value found when it is text: a configuration path
 * pointing at the wrong file must not print that file's content (numbers and booleans are shown).
 */
import { formatHostPort, type HostPort, parseHostPort } from "../util/host-port.js";
import { parseInteger } from "../util/integer.js";

/** Why a value was refused, and what to do instead. */
export class KeyProblem {
  constructor(
    readonly message: string,
    readonly fix: string,
  ) {}
}

/** The command-line flag of a key. */
export interface KeyFlag {
  /** Without the dashes: `state-dir`. */
  readonly name: string;
  /** What the value looks like in the usage text: `DIR`, `SECONDS`, `us|ous|jp`. */
  readonly value: string;
  /** Accepted by every command (`--device`, `--log-level`), not only by those that take config flags. */
  readonly global?: boolean;
}

/** What every key says about itself, besides its kind. */
export interface KeyDoc<T> {
  /** One sentence: what the key does. Shown by `--help` for its flag and in the README table. */
  readonly help: string;
  /** More for the README, after `help` (choices, sources, caveats). */
  readonly details?: string;
  /** The value when no layer sets it. */
  readonly default: T;
  /** The default as the README shows it, when that is not the value itself. */
  readonly defaultText?: string;
  /** A default from the environment the service runs in (systemd's $STATE_DIRECTORY), before `default`. */
  readonly defaultFrom?: (env: Readonly<Record<string, string | undefined>>) => T | undefined;
  /** The value written in config/sharebridge.example.json; `undefined` leaves the key out of it. Default: `default`. */
  readonly example?: unknown;
  /** The environment variable that sets the key. */
  readonly env: string;
  readonly flag?: KeyFlag;
  /** Former names still accepted in the file (`readingIntervalS`). */
  readonly aliases?: readonly string[];
  /** Keys that exclude this one (share.region and share.server): a layer that sets one clears the others. */
  readonly excludes?: readonly string[];
}

export interface KeyKind<T> {
  readonly kind: "text" | "integer" | "boolean" | "choice" | "address";
  /** The type and range in words, for the README: "whole seconds, 1–3600". */
  readonly typeText: string;
  /** A value from the JSON file (or from `fromText`) → the key's value, or why not. */
  parse(value: unknown): T | KeyProblem;
  /** An environment variable's or a flag's text → a value for `parse`. */
  fromText(text: string): unknown;
  /** The key's value as JSON (the example file, `--json` dumps). */
  toJson(value: T): unknown;
}

export type KeySpec<T> = KeyKind<T> & KeyDoc<T>;

/** The value type of a key. */
export type ValueOf<S> = S extends KeySpec<infer T> ? T : never;

export function isKeySpec(value: unknown): value is KeySpec<unknown> {
  return typeof value === "object" && value !== null && "parse" in value && "fromText" in value;
}

/** How a JSON value is described in a message: its type, never its text. */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  return typeof value === "object" ? "an object" : typeof value;
}

const identity = <T>(value: T): unknown => value;

interface TextOptions {
  /** How to fix a wrong value: "give a directory path". */
  readonly fix: string;
  /** Longest accepted length, characters. Default 4096. */
  readonly maxLength?: number;
  /** A check beyond "non-empty text" (a URL, a UUID); answers the problem, or undefined when fine. */
  readonly check?: (text: string) => string | undefined;
  readonly typeText?: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function textKind(options: TextOptions): KeyKind<string> {
  const maxLength = options.maxLength ?? 4096;
  return {
    kind: "text",
    typeText: options.typeText ?? "text",
    parse(value) {
      if (typeof value !== "string" || value.trim() === "") {
        return new KeyProblem(`must be a non-empty string, got ${describeJson(value)}`, options.fix);
      }
      if (value.length > maxLength)
        return new KeyProblem(`is longer than ${maxLength} characters`, options.fix);
      if (CONTROL.test(value)) return new KeyProblem("holds a control character", options.fix);
      const problem = options.check?.(value);
      return problem === undefined ? value : new KeyProblem(problem, options.fix);
    },
    fromText: identity,
    toJson: identity,
  };
}

/** Text: a path, a name, a URL. */
export function text(options: TextOptions & KeyDoc<string>): KeySpec<string>;
export function text(options: TextOptions & KeyDoc<string | undefined>): KeySpec<string | undefined>;
export function text(options: TextOptions & KeyDoc<string | undefined>): KeySpec<string | undefined> {
  return { ...options, ...textKind(options) } as KeySpec<string | undefined>;
}

interface IntegerOptions {
  readonly min: number;
  readonly max: number;
  /** "seconds", "hours". */
  readonly unit: string;
}

/** A whole number within a range, with its unit. */
export function integer(options: IntegerOptions & KeyDoc<number>): KeySpec<number> {
  const { min, max, unit } = options;
  const range = `a whole number from ${min} to ${max}`;
  return {
    ...options,
    kind: "integer",
    typeText: `${unit}, ${min}–${max}`,
    parse(value) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        return new KeyProblem(`must be ${range}, got ${describeJson(value)}`, `give ${unit} as ${range}`);
      }
      return value;
    },
    fromText: (text) =>
      parseInteger(text, { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }) ?? text,
    toJson: identity,
  };
}

const TRUE_WORDS = ["true", "1", "yes", "on"];
const FALSE_WORDS = ["false", "0", "no", "off"];

/** true or false; from text also 1/0, yes/no, on/off. */
export function boolean(options: KeyDoc<boolean>): KeySpec<boolean> {
  return {
    ...options,
    kind: "boolean",
    typeText: "true or false",
    parse(value) {
      if (typeof value !== "boolean") {
        return new KeyProblem(`must be true or false, got ${describeJson(value)}`, "write true or false");
      }
      return value;
    },
    fromText(text) {
      const word = text.trim().toLowerCase();
      return TRUE_WORDS.includes(word) ? true : FALSE_WORDS.includes(word) ? false : text;
    },
    toJson: identity,
  };
}

interface ChoiceOptions<V extends string> {
  readonly values: readonly V[];
  /** Other JSON values accepted for a choice (`true` for "always"); their text forms are accepted too. */
  readonly synonyms?: readonly (readonly [boolean, V])[];
}

function choiceKind<V extends string>(options: ChoiceOptions<V>): KeyKind<V> {
  const { values } = options;
  const synonyms = new Map<unknown, V>();
  for (const [json, value] of options.synonyms ?? []) {
    synonyms.set(json, value);
    synonyms.set(String(json), value);
  }
  const listed = values.join(", ");
  const alsoText =
    options.synonyms === undefined
      ? ""
      : ` (${options.synonyms.map(([j, v]) => `${j} means ${v}`).join(", ")})`;
  return {
    kind: "choice",
    typeText: `${values.join(" | ")}${alsoText}`,
    parse(value) {
      if (typeof value === "string" && (values as readonly string[]).includes(value)) return value as V;
      const synonym = synonyms.get(value);
      if (synonym !== undefined) return synonym;
      return new KeyProblem(`must be one of ${listed}`, `use one of ${values.join("|")}`);
    },
    fromText: identity,
    toJson: identity,
  };
}

/** One of a few words. */
export function choice<V extends string>(options: ChoiceOptions<V> & KeyDoc<V>): KeySpec<V>;
export function choice<V extends string>(
  options: ChoiceOptions<V> & KeyDoc<V | undefined>,
): KeySpec<V | undefined>;
export function choice<V extends string>(
  options: ChoiceOptions<V> & KeyDoc<V | undefined>,
): KeySpec<V | undefined> {
  return { ...options, ...choiceKind(options) } as KeySpec<V | undefined>;
}

/**
 * A listening address, `HOST:PORT` or just `PORT` (loopback), or null for "off". Parsed once here:
 * the key's value is `{ host, port }`.
 */
export function address(
  options: KeyDoc<HostPort | null> & { readonly fix: string },
): KeySpec<HostPort | null> {
  return {
    ...options,
    kind: "address",
    typeText: "HOST:PORT, PORT (loopback) or null",
    parse(value) {
      if (value === null) return null;
      if (typeof value !== "string") {
        return new KeyProblem(`must be a non-empty string or null, got ${describeJson(value)}`, options.fix);
      }
      const parsed = parseHostPort(value, { portOnlyHost: "127.0.0.1" });
      return parsed ?? new KeyProblem("is not HOST:PORT", options.fix);
    },
    fromText: (text) => (text.trim().toLowerCase() === "null" ? null : text),
    toJson: (value) => (value === null ? null : formatHostPort(value)),
  };
}
