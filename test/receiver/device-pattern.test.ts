/** `device` patterns (src/receiver/device-pattern.ts): which paths match, in which order. */
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDeviceSpec } from "../../src/receiver/device.js";
import {
  compileDevicePattern,
  expandDevicePattern,
  naturalCompare,
} from "../../src/receiver/device-pattern.js";

describe("device patterns", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-pattern-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a value with * or ? is a pattern; the folder must be literal", () => {
    expect(parseDeviceSpec("/dev/ttyACM*")).toEqual({ kind: "pattern", pattern: "/dev/ttyACM*" });
    expect(parseDeviceSpec("/dev/ttyACM?")).toEqual({ kind: "pattern", pattern: "/dev/ttyACM?" });
    expect(() => compileDevicePattern("/dev/*/ttyACM0")).toThrow(
      "--device: a pattern may use * and ? in its last part only [DEVICE_SPEC_INVALID]",
    );
  });

  it("matches the last part only, and nothing else of the name", () => {
    const { folder, matches } = compileDevicePattern("/dev/serial/by-id/usb-DexCom*.if?");
    expect(folder).toBe("/dev/serial/by-id");
    expect(
      ["usb-DexCom_Gen4.if0", "usb-DexCom.ifX", "usb-DexCom_Gen4.if00", "xusb-DexCom.if0"].map(matches),
    ).toEqual([true, true, false, false]);
  });

  it("expands to character devices (links to them too), in natural order", async () => {
    for (const n of [10, 2, 1]) await symlink("/dev/null", join(dir, `ttyACM${n}`));
    await writeFile(join(dir, "ttyACM3"), "a regular file is not a device");
    await symlink(join(dir, "gone"), join(dir, "ttyACM4"));
    await symlink("/dev/zero", join(dir, "ttyUSB0"));
    expect(await expandDevicePattern(join(dir, "ttyACM*"))).toEqual(
      [1, 2, 10].map((n) => join(dir, `ttyACM${n}`)),
    );
    expect(await expandDevicePattern(join(dir, "tty???0"))).toEqual([join(dir, "ttyUSB0")]);
    expect(await expandDevicePattern(join(dir, "missing", "tty*"))).toEqual([]);
  });
});

describe("natural order of device names", () => {
  it("digit runs by value, leading zeros and longer-than-a-double runs included", () => {
    const names = [
      "ttyACM10",
      "ttyUSB0",
      "ttyACM2",
      "ttyACM",
      "ttyACM02",
      "ttyACM1",
      "ttyACM99999999999999999999",
    ];
    expect([...names].sort(naturalCompare)).toEqual([
      "ttyACM",
      "ttyACM1",
      "ttyACM02",
      "ttyACM2",
      "ttyACM10",
      "ttyACM99999999999999999999",
      "ttyUSB0",
    ]);
    expect(naturalCompare("ttyACM3", "ttyACM3")).toBe(0);
  });

  it("agrees with numeric order for any two numbers, and is antisymmetric for any two names", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        expect(Math.sign(naturalCompare(`ttyACM${a}`, `ttyACM${b}`))).toBe(Math.sign(a - b));
      }),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(Math.sign(naturalCompare(a, b))).toBe(-Math.sign(naturalCompare(b, a)) || 0);
        expect(naturalCompare(a, b) === 0).toBe(a === b);
      }),
    );
  });
});
