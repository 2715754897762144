import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deviceOpener, parseDeviceSpec } from "../../src/receiver/device.js";
import { findReceiverPorts } from "../../src/receiver/discovery.js";

describe("--device", () => {
  it.each([
    ["auto", { kind: "auto" }],
    ["", { kind: "auto" }],
    ["/dev/ttyACM0", { kind: "path", path: "/dev/ttyACM0" }],
    [
      "/dev/serial/by-id/usb-DexCom_Gen4_USB_Serial-if00",
      { kind: "path", path: "/dev/serial/by-id/usb-DexCom_Gen4_USB_Serial-if00" },
    ],
    ["tcp://127.0.0.1:3333", { kind: "tcp", host: "127.0.0.1", port: 3333 }],
    ["tcp://[::1]:4000", { kind: "tcp", host: "::1", port: 4000 }],
    ["tcp://pi.local:2000", { kind: "tcp", host: "pi.local", port: 2000 }],
  ])("parses %j", (text, spec) => {
    expect(parseDeviceSpec(text)).toEqual(spec);
  });

  it.each([
    "tcp://host",
    "tcp://host:0",
    "tcp://host:70000",
    "tcp://host:1/path",
    "http://x:1",
    "tcp://:5",
    "a\0b",
  ])("refuses %j with DEVICE_SPEC_INVALID", (text) => {
    expect(() => parseDeviceSpec(text)).toThrow(/DEVICE_SPEC_INVALID/);
  });
});

describe("discovery (sysfs, no udevadm)", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "sharebridge-sysfs-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Lays out /sys/class/tty/NAME/device → a USB interface whose parent holds the ids, like the kernel. */
  async function addTty(name: string, vendor: string, product: string, busPath: string): Promise<void> {
    const usbDevice = join(root, "sys", "devices", busPath);
    const usbInterface = join(usbDevice, `${busPath}:1.0`);
    await mkdir(usbInterface, { recursive: true });
    await writeFile(join(usbDevice, "idVendor"), `${vendor}\n`);
    await writeFile(join(usbDevice, "idProduct"), `${product}\n`);
    await mkdir(join(root, "sys", "class", "tty", name), { recursive: true });
    await symlink(usbInterface, join(root, "sys", "class", "tty", name, "device"));
  }

  it("finds 22a3:0047 ttys, ignores others, and prefers the by-id link", async () => {
    await addTty("ttyACM0", "2341", "0043", "1-1.1"); // an Arduino
    await addTty("ttyACM1", "22a3", "0047", "1-1.2"); // the receiver
    await addTty("ttyACM2", "22A3", "0048", "1-1.3"); // a G7 receiver: out of scope
    await addTty("ttyACM3", "22a3", "0047", "1-1.4"); // a second receiver, no by-id link
    const dev = join(root, "dev");
    await mkdir(join(dev, "serial", "by-id"), { recursive: true });
    await writeFile(join(dev, "ttyACM1"), "");
    await writeFile(join(dev, "ttyACM3"), "");
    await symlink(join(dev, "ttyACM1"), join(dev, "serial", "by-id", "usb-DexCom_Gen4_USB_Serial-if00"));
    const found = await findReceiverPorts({ sys: join(root, "sys"), dev, listUdev: null });
    expect(found).toEqual([
      {
        node: join(dev, "ttyACM1"),
        path: join(dev, "serial", "by-id", "usb-DexCom_Gen4_USB_Serial-if00"),
        source: "sysfs",
      },
      { node: join(dev, "ttyACM3"), path: join(dev, "ttyACM3"), source: "sysfs" },
    ]);
  });

  it("uses the udev listing when one is available", async () => {
    const found = await findReceiverPorts({
      sys: join(root, "sys"),
      dev: join(root, "dev"),
      listUdev: async () => [
        { path: "/dev/ttyACM5", vendorId: "22A3", productId: "0047" },
        { path: "/dev/ttyUSB0", vendorId: "0403", productId: "6001" },
      ],
    });
    expect(found).toEqual([{ node: "/dev/ttyACM5", path: "/dev/ttyACM5", source: "udev" }]);
  });

  it("auto gives DEVICE_NOT_FOUND with a hint when nothing is plugged in", async () => {
    const opener = deviceOpener(
      { kind: "auto" },
      { discovery: { sys: join(root, "sys"), dev: join(root, "dev"), listUdev: null } },
    );
    await expect(opener({ data: () => undefined, closed: () => undefined })).rejects.toMatchObject({
      code: "DEVICE_NOT_FOUND",
      context: { hint: expect.stringContaining("--device") },
    });
  });

  it("a missing device path is DEVICE_NOT_FOUND, a TCP port nobody listens on too", async () => {
    const sink = { data: () => undefined, closed: () => undefined };
    await expect(deviceOpener({ kind: "path", path: join(root, "nope") })(sink)).rejects.toMatchObject({
      code: "DEVICE_NOT_FOUND",
    });
    await expect(deviceOpener({ kind: "tcp", host: "127.0.0.1", port: 1 })(sink)).rejects.toMatchObject({
      code: "DEVICE_NOT_FOUND",
    });
  });
});
