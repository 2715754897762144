/**
 * JSON text from a file, parsed without ever quoting the file in an error.
 *
 * `JSON.parse` says what went wrong by quoting the text ("Unexpected token 'r', "root:x:0:0:"... is
 * not valid JSON"): a state or configuration path pointed at /etc/shadow or at the password file
 * would put its first bytes into a log. Here a syntax error is described by its line, its column and
 * what was expected there, and nothing of the text itself.
 *
 * `JSON.parse` stays the parser (fast, exact); only when it refuses is the text scanned again, by
 * jsonc-parser with comments and trailing commas disallowed, to find where. That module is loaded
 * on that path only, so a daemon that reads valid files never loads it.
 */
import type { ParseError } from "jsonc-parser";

/** Where a JSON text stops being JSON, and what was expected there. 1-based line and column. */
export interface JsonSyntaxProblem {
  readonly line: number;
  readonly column: number;
  /** What the text should have had at that place, e.g. "a comma or a closing brace". */
  readonly expected: string;
}

export type JsonParseResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: JsonSyntaxProblem };

const INVALID_SYMBOL = 1;

/** jsonc-parser's ParseErrorCode, in words (the numbering is its public, stable enum). */
const EXPECTED: Readonly<Record<number, string>> = {
  1: "JSON (a string in double quotes, a number, true, false, null or punctuation)",
  2: "a number",
  3: "a property name in double quotes",
  4: "a value",
  5: "a colon",
  6: "a comma",
  7: "a closing brace",
  8: "a closing bracket",
  9: "the end of the document",
  10: "no comment (JSON has none)",
  11: "the end of a comment",
  12: "the closing quote of a string",
  13: "more digits of a number",
  14: "four hexadecimal digits after \\u",
  15: "a valid escape after a backslash",
  16: "no control character inside a string",
};

/** 1-based line and column of a character offset; lines end at \n, \r\n or \r. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Finds the first syntax error of a text `JSON.parse` refused. */
async function locate(text: string): Promise<JsonSyntaxProblem> {
  const { parse } = await import("jsonc-parser");
  const errors: ParseError[] = [];
  try {
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch {
    // jsonc-parser recurses per nesting level; a hostile depth ends here, with what it found so far.
  }
  const first = errors[0];
  if (first === undefined) {
    // The two parsers disagree on some corner (JSON.parse is the stricter one): say so at the start.
    return { line: 1, column: 1, expected: "valid JSON" };
  }
  // An unknown word (InvalidSymbol) is reported where it starts; what the parser wanted there is the
  // expectation it reports next, if it reports one.
  const wanted =
    first.error === INVALID_SYMBOL
      ? (errors.slice(1).find((e) => e.error >= 3 && e.error <= 9) ?? first)
      : first;
  return {
    ...lineAndColumn(text, first.offset),
    expected: EXPECTED[wanted.error] ?? "valid JSON",
  };
}

/** Parses JSON text; a syntax error comes back as a place and an expectation, never as text. */
export async function parseJsonText(text: string): Promise<JsonParseResult> {
  // A byte-order mark some editors write is not part of the document (RFC 8259 §8.1 lets a parser
  // ignore it); positions are still counted in the text as given.
  const body = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false, problem: await locate(body) };
  }
}

/** "line 3, column 14: expected a comma" (no part of the text). */
export function describeJsonProblem(problem: JsonSyntaxProblem): string {
  return `line ${problem.line}, column ${problem.column}: expected ${problem.expected}`;
}
