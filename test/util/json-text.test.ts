import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { describeJsonProblem, lineAndColumn, parseJsonText } from "../../src/util/json-text.js";

/** Every expectation parseJsonText can report: the whole vocabulary, nothing taken from the text. */
const VOCABULARY = new Set([
  "JSON (a string in double quotes, a number, true, false, null or punctuation)",
  "a number",
  "a property name in double quotes",
  "a value",
  "a colon",
  "a comma",
  "a closing brace",
  "a closing bracket",
  "the end of the document",
  "no comment (JSON has none)",
  "the end of a comment",
  "the closing quote of a string",
  "more digits of a number",
  "four hexadecimal digits after \\u",
  "a valid escape after a backslash",
  "no control character inside a string",
  "valid JSON",
]);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("parseJsonText", () => {
  it("parses JSON as JSON.parse does", async () => {
    expect(await parseJsonText('{"a": [1, true, null, "x"]}')).toEqual({
      ok: true,
      value: { a: [1, true, null, "x"] },
    });
  });

  it.each([
    ["root:x:0:0:root:/root:/bin/bash\n", 1, 1, "a value"],
    ['{\n  "device": "auto",\n  hunter2\n}', 3, 3, "a property name in double quotes"],
    ['{"a": 1,}', 1, 9, "a property name in double quotes"],
    ['{"a" 1}', 1, 6, "a colon"],
    ['{"a": tru}', 1, 7, "a value"],
    ["[1, 2 x]", 1, 7, "JSON (a string in double quotes, a number, true, false, null or punctuation)"],
    ['{"a": 1} {"b": 2}', 1, 10, "the end of the document"],
    ['{"a": 1\r\n', 2, 1, "a closing brace"],
    ['{"a": 1 // note\n}', 1, 9, "no comment (JSON has none)"],
    ['"open', 1, 1, "the closing quote of a string"],
    ["", 1, 1, "a value"],
  ])("%j: line %i, column %i, expected %s", async (text, line, column, expected) => {
    expect(await parseJsonText(text)).toEqual({ ok: false, problem: { line, column, expected } });
  });

  it("describes a problem in words of its own", () => {
    expect(describeJsonProblem({ line: 3, column: 14, expected: "a comma" })).toBe(
      "line 3, column 14: expected a comma",
    );
  });

  test.prop([fc.string({ maxLength: 200 }).filter((text) => !isJson(text))], { numRuns: 500 })(
    "whatever the text, a refusal is a place inside it and words from the fixed vocabulary",
    async (text) => {
      const result = await parseJsonText(text);
      const problem = result.ok ? undefined : result.problem;
      const lines = text.split(/\r\n|\r|\n/);
      expect(problem?.line).toBeGreaterThanOrEqual(1);
      expect(problem?.line).toBeLessThanOrEqual(lines.length);
      expect(problem?.column).toBeGreaterThanOrEqual(1);
      expect(problem?.column).toBeLessThanOrEqual((lines[(problem?.line ?? 0) - 1]?.length ?? -1) + 1);
      expect(VOCABULARY.has(problem?.expected ?? "")).toBe(true);
    },
  );

  test.prop([fc.json()], { numRuns: 200 })("JSON text is parsed to JSON.parse's value", async (text) => {
    expect(await parseJsonText(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it("a hostile nesting depth is still answered with words from the vocabulary", async () => {
    const result = await parseJsonText(`${"[".repeat(200_000)}x`);
    expect(result).toMatchObject({ ok: false, problem: { line: 1 } });
    expect(VOCABULARY.has(result.ok ? "" : result.problem.expected)).toBe(true);
  });
});

describe("lineAndColumn", () => {
  it("counts \\n, \\r\\n and \\r as line ends, 1-based", () => {
    expect(lineAndColumn("ab\ncd\r\nef\rgh", 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn("ab\ncd\r\nef\rgh", 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn("ab\ncd\r\nef\rgh", 7)).toEqual({ line: 3, column: 1 });
    expect(lineAndColumn("ab\ncd\r\nef\rgh", 11)).toEqual({ line: 4, column: 2 });
  });
});
