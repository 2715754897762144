import { describe, expect, it } from "vitest";
import { closestName, editDistance } from "../../src/util/did-you-mean.js";
import { formatHostPort, parseHostPort } from "../../src/util/host-port.js";
import { parseInteger } from "../../src/util/integer.js";
import { countOf } from "../../src/util/plural.js";
import { isUuid } from "../../src/util/uuid.js";

describe("HOST:PORT", () => {
  it.each([
    ["127.0.0.1:9477", {}, { host: "127.0.0.1", port: 9477 }],
    ["localhost:0", {}, { host: "localhost", port: 0 }],
    ["receiver.lan:3333", {}, { host: "receiver.lan", port: 3333 }],
    ["[::1]:80", {}, { host: "::1", port: 80 }],
    ["[fe80::1%eth0]:7777", {}, { host: "fe80::1%eth0", port: 7777 }],
    ["9477", { portOnlyHost: "127.0.0.1" }, { host: "127.0.0.1", port: 9477 }],
    [" 10.0.0.2:65535 ", {}, { host: "10.0.0.2", port: 65535 }],
  ])("parses %s", (text, options, expected) => {
    expect(parseHostPort(text, options)).toEqual(expected);
  });

  it.each([
    ["9477", {}],
    ["localhost:99999", {}],
    ["a:b", {}],
    [":80", {}],
    ["::1:80", {}],
    ["[localhost]:80", {}],
    ["host name:80", {}],
    ["host:0", { minPort: 1 }],
    ["http://host:80", {}],
    ["host:80/", {}],
    ["-host:80", {}],
  ])("refuses %s", (text, options) => {
    expect(parseHostPort(text, options)).toBeUndefined();
  });

  it("writes IPv6 hosts back in brackets", () => {
    expect(formatHostPort({ host: "::1", port: 80 })).toBe("[::1]:80");
    expect(formatHostPort({ host: "127.0.0.1", port: 9477 })).toBe("127.0.0.1:9477");
  });
});

describe("whole numbers", () => {
  it("takes decimal digits with an optional minus, within the range", () => {
    expect(parseInteger("300", { min: 1, max: 3600 })).toBe(300);
    expect(parseInteger("-25200", { min: -86400, max: 86400 })).toBe(-25200);
    for (const text of ["1e3", "0x10", " 5", "5.0", "", "+5", "99999999999999999", "3601", "0"]) {
      expect([text, parseInteger(text, { min: 1, max: 3600 })]).toEqual([text, undefined]);
    }
  });
});

describe("did you mean", () => {
  it("finds the likely typo, and nothing when far", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(closestName("devise", ["device", "stateDir"])).toBe("device");
    expect(closestName("pasword", ["region", "passwordFile"])).toBe("passwordFile");
    expect(closestName("stauts", ["run", "sync", "status", "doctor"])).toBe("status");
    expect(closestName("xyzzy", ["run", "sync", "status", "doctor"])).toBeUndefined();
    expect(closestName("x", ["device", "demo"])).toBeUndefined();
  });
});

describe("counts", () => {
  it("agree with their number", () => {
    expect([countOf(0, "page"), countOf(1, "page"), countOf(2, "page")]).toEqual([
      "0 pages",
      "1 page",
      "2 pages",
    ]);
    expect(countOf(1, "entry", "entries")).toBe("1 entry");
    expect(countOf(3, "entry", "entries")).toBe("3 entries");
  });
});

describe("UUIDs", () => {
  it("match 8-4-4-4-12 hex digits in either case", () => {
    expect(isUuid("d89443d2-327c-4a6f-89e5-496bbb0317db")).toBe(true);
    expect(isUuid("D89443D2-327C-4A6F-89E5-496BBB0317DB")).toBe(true);
    expect(isUuid("d89443d2327c4a6f89e5496bbb0317db")).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});
