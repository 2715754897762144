/** Dates, trends and ids on the wire (share-api §1.4, §1.5, §2, §10.1). */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { formatOffsetSuffix, formatShareDate, parseShareDate } from "../../src/share/dates.js";
import { parseTrend, TREND_NAMES, trendName } from "../../src/share/trend.js";
import { isUsableId, isUuid, NULL_UUID } from "../../src/share/uuid.js";

describe("Share dates", () => {
  it("writes /Date(ms)/ with whole seconds", () => {
    expect(formatShareDate(1426784306)).toBe("/Date(1426784306000)/");
    expect(formatShareDate(1426784306.9)).toBe("/Date(1426784306000)/");
  });

  it.each([
    ["/Date(1426783106000)/", { ms: 1426783106000 }],
    ["\\/Date(1426783106000)\\/", { ms: 1426783106000 }],
    ["/Date(1426780716000-0700)/", { ms: 1426780716000, offsetMinutes: -420 }],
    ["Date(1745081013817)", { ms: 1745081013817 }],
    ["Date(1745081013817-0400)", { ms: 1745081013817, offsetMinutes: -240 }],
    ["Date(1745081013817+0530)", { ms: 1745081013817, offsetMinutes: 330 }],
    ["/Date(-1000)/", { ms: -1000 }],
  ])("parses %s", (text, expected) => {
    expect(parseShareDate(text)).toEqual(expected);
  });

  it.each([
    ["Date()"],
    ["yesterday"],
    [""],
    ["Date(12345678901234567890)"],
    ["Date(1+2500)"],
    [`Date(${"1".repeat(70)})`],
  ])("refuses %s", (text) => {
    expect(parseShareDate(text)).toBeUndefined();
  });

  it("refuses non-strings", () => {
    for (const v of [null, undefined, 5, {}, []]) expect(parseShareDate(v)).toBeUndefined();
  });

  it("formats offsets as ±hhmm", () => {
    expect(formatOffsetSuffix(-240)).toBe("-0400");
    expect(formatOffsetSuffix(330)).toBe("+0530");
    expect(formatOffsetSuffix(0)).toBe("+0000");
  });

  test.prop([fc.integer({ min: 0, max: 4_102_444_800 }), fc.integer({ min: -14 * 60, max: 14 * 60 })])(
    "round-trips every instant and offset in both the legacy and modern forms",
    (seconds, offset) => {
      const ms = seconds * 1000;
      expect(parseShareDate(formatShareDate(seconds))).toEqual({ ms });
      expect(parseShareDate(`Date(${ms}${formatOffsetSuffix(offset)})`)).toEqual({
        ms,
        offsetMinutes: offset,
      });
    },
  );

  test.prop([fc.string({ maxLength: 100 })])("never throws on any text", (text) => {
    const parsed = parseShareDate(text);
    // Either no date, or a date in whole milliseconds: never anything else.
    expect(parsed === undefined || Number.isSafeInteger(parsed.ms)).toBe(true);
  });
});

describe("trends", () => {
  it("accepts ordinals and names in any case, with spaces or underscores", () => {
    expect(parseTrend(4)).toBe(4);
    expect(parseTrend("Flat")).toBe(4);
    expect(parseTrend("SINGLE_DOWN")).toBe(6);
    expect(parseTrend("double up")).toBe(1);
    expect(parseTrend("RateOutOfRange")).toBe(9);
    expect(parseTrend("NOT COMPUTABLE")).toBe(8);
    expect(parseTrend("7")).toBe(7);
  });

  it("refuses everything else", () => {
    for (const v of [10, -1, 4.5, "Sideways", "", null, {}, "x".repeat(40)])
      expect(parseTrend(v)).toBeUndefined();
  });

  it("names every ordinal", () => {
    expect(TREND_NAMES.map((_, i) => trendName(i))).toEqual([...TREND_NAMES]);
    expect(trendName(42)).toBe("None");
  });
});

describe("ids", () => {
  it("knows UUIDs and the null UUID", () => {
    expect(isUuid("55555555-5555-5555-5555-555555555555")).toBe(true);
    expect(isUuid("55555555-5555-5555-5555-55555555555")).toBe(false);
    expect(isUuid(NULL_UUID)).toBe(true);
    expect(isUsableId(NULL_UUID)).toBe(false);
    expect(isUsableId("ABCDEFAB-1234-4321-8765-ABCDEFABCDEF")).toBe(true);
    expect(isUsableId(42)).toBe(false);
  });
});
