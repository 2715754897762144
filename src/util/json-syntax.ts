/**
 * Where a JSON document stops being JSON, told without quoting it.
 *
 * `JSON.parse` explains a syntax error by quoting the text around it (Node 20: `Unexpected token
 * 'h', "hunter2" is not valid JSON`), so a configuration or state path pointing at a password file
 * would print the password. `parseJsonDocument` parses with `JSON.parse`; on failure it walks the text
 * itself (RFC 8259 grammar) to find the first offending position and answers with the line, the
 * column and what the grammar expected there — never with the text.
 */

export interface JsonSyntaxProblem {
  /** 1-based line of the first character that does not fit the grammar. */
  readonly line: number;
  /** 1-based column (UTF-16 code units from the line's start). */
  readonly column: number;
  /** What the grammar allows there, in words: "a value", "\",\" or \"}\"", "the end of the document". */
  readonly expected: string;
}

export type JsonParseResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: JsonSyntaxProblem };

/** Parses JSON text (a leading byte-order mark is allowed); a syntax error is located, not quoted. */
export function parseJsonDocument(text: string): JsonParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    const offset = text.length - body.length;
    // Valid by the grammar yet refused: only nesting deeper than JSON.parse's stack can do that.
    const found = locateJsonSyntaxError(body) ?? {
      offset: 0,
      expected: "arrays and objects nested less deeply",
    };
    return { ok: false, problem: { ...position(text, offset + found.offset), expected: found.expected } };
  }
}

/** "line 3, column 14: expected \",\" or \"}\"". */
export function jsonProblemInWords(problem: JsonSyntaxProblem): string {
  return `line ${problem.line}, column ${problem.column}: expected ${problem.expected}`;
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const VALUE = "a value (an object, array, string, number, true, false or null)";
const NAME = "a property name in double quotes";

/** What the next token must be. */
type Expect = "value" | "value-or-close" | "name" | "name-or-close" | "colon" | "comma-or-close" | "end";

/**
 * The offset of the first character that breaks the grammar, and what was expected there; undefined
 * when the text is valid. Iterative (an explicit stack), so deep nesting cannot overflow the call stack.
 */
export function locateJsonSyntaxError(text: string): { offset: number; expected: string } | undefined {
  const closers: string[] = []; // "}" or "]" per open container
  let expect: Expect = "value";
  let i = 0;
  const afterValue = (): Expect => (closers.length === 0 ? "end" : "comma-or-close");
  const skipSpace = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  for (;;) {
    skipSpace();
    const c = text[i];
    const close = closers.at(-1);
    switch (expect) {
      case "end":
        return c === undefined ? undefined : { offset: i, expected: "the end of the document" };
      case "colon":
        if (c !== ":") return { offset: i, expected: '":" after the property name' };
        i++;
        expect = "value";
        continue;
      case "comma-or-close":
        if (c === ",") {
          i++;
          expect = close === "}" ? "name" : "value";
          continue;
        }
        if (c === close) {
          i++;
          closers.pop();
          expect = afterValue();
          continue;
        }
        return { offset: i, expected: `"," or "${close}"` };
      case "name":
      case "name-or-close": {
        if (expect === "name-or-close" && c === "}") {
          i++;
          closers.pop();
          expect = afterValue();
          continue;
        }
        if (c !== '"') {
          const also = expect === "name-or-close" ? ' or "}"' : "";
          return { offset: i, expected: `${NAME}${also}` };
        }
        const end = scanString(text, i);
        if (typeof end !== "number") return end;
        i = end;
        expect = "colon";
        continue;
      }
      case "value":
      case "value-or-close": {
        if (expect === "value-or-close" && c === "]") {
          i++;
          closers.pop();
          expect = afterValue();
          continue;
        }
        if (c === "{") {
          i++;
          closers.push("}");
          expect = "name-or-close";
          continue;
        }
        if (c === "[") {
          i++;
          closers.push("]");
          expect = "value-or-close";
          continue;
        }
        const end =
          c === '"'
            ? scanString(text, i)
            : c === "-" || isDigit(c)
              ? scanNumber(text, i)
              : scanLiteral(text, i);
        if (typeof end !== "number") return end;
        i = end;
        expect = afterValue();
        continue;
      }
    }
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

type Scan = number | { offset: number; expected: string };

/** From the opening quote to just after the closing one. */
function scanString(text: string, start: number): Scan {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20)
      return { offset: i, expected: "a closing quote (line breaks and control characters must be escaped)" };
    if (c === 0x5c) {
      const next = text[i + 1];
      if (next === "u") {
        if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
          return { offset: i, expected: "four hex digits after \\u" };
        }
        i += 6;
        continue;
      }
      if (next === undefined || !'"\\/bfnrt'.includes(next)) {
        return { offset: i, expected: 'an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX' };
      }
      i += 2;
      continue;
    }
    i++;
  }
  return { offset: text.length, expected: "a closing quote" };
}

function scanNumber(text: string, start: number): Scan {
  let i = start;
  if (text[i] === "-") i++;
  if (text[i] === "0") i++;
  else if (isDigit(text[i])) while (isDigit(text[i])) i++;
  else return { offset: i, expected: "a digit" };
  if (text[i] === ".") {
    i++;
    if (!isDigit(text[i])) return { offset: i, expected: "a digit after the decimal point" };
    while (isDigit(text[i])) i++;
  }
  if (text[i] === "e" || text[i] === "E") {
    i++;
    if (text[i] === "+" || text[i] === "-") i++;
    if (!isDigit(text[i])) return { offset: i, expected: "a digit in the exponent" };
    while (isDigit(text[i])) i++;
  }
  return i;
}

function scanLiteral(text: string, start: number): Scan {
  for (const word of ["true", "false", "null"]) {
    if (text.startsWith(word, start)) return start + word.length;
  }
  return { offset: start, expected: VALUE };
}
