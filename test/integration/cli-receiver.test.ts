/**
 * The shipped commands end to end, as separate processes: `sharebridge emulate receiver` serving
 * TCP or a pty, and `sharebridge receiver info|dump` talking to it. Runs the built CLI (dist/),
 * which `npm test` builds first.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { crc16 } from "../../src/wire/crc16.js";
import { decodePageHeader } from "../../src/wire/page.js";

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
});

/** Starts the emulator and resolves with the first line it prints (where it listens). */
function startEmulator(args: string[]): Promise<{ child: ChildProcess; where: string }> {
  const child = spawn(process.execPath, [MAIN, "emulate", "receiver", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line !== undefined) resolve({ child, where: line });
    });
    child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
}

async function sharebridge(...args: string[]) {
  return run(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 30_000 });
}

describe("sharebridge receiver info|dump against sharebridge emulate receiver", () => {
  it("over TCP: info --json has the documented keys; dump prints every page of the partition", async () => {
    const { where } = await startEmulator([
      "--listen",
      "127.0.0.1:0",
      "--profile",
      "touchscreen",
      "--seed",
      "4",
      "--days",
      "3",
    ]);
    const device = where.replace(/^listening /, "");
    expect(device).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

    const info = JSON.parse(
      (await sharebridge("receiver", "info", "--json", "--device", device)).stdout,
    ) as Record<string, unknown>;
    for (const key of [
      "serial",
      "productId",
      "productName",
      "firmwareVersion",
      "softwareNumber",
      "systemTime",
      "rtc",
      "systemTimeOffset",
      "displayTimeOffset",
      "batteryLevel",
      "batteryState",
      "partitions",
    ]) {
      expect(info).toHaveProperty(key);
    }
    expect(info["productId"]).toBe("OrionReceiver");
    expect(info["serial"]).toMatch(/^[A-Z]{2}\d{8}$/);
    const partitions = info["partitions"] as {
      id: number;
      firstPage: number | null;
      lastPage: number | null;
    }[];
    const egv = partitions.find((p) => p.id === 4);
    const backfill = partitions.find((p) => p.id === 18);
    expect(backfill).toBeDefined();
    expect(egv?.firstPage).not.toBeNull();

    const dump = await sharebridge("receiver", "dump", "--type", "egv", "--device", device);
    const lines = dump.stdout.trimEnd().split("\n");
    expect(lines.length).toBe((egv?.lastPage ?? 0) - (egv?.firstPage ?? 0) + 1);
    lines.forEach((line, i) => {
      expect(line).toMatch(/^([0-9A-F]{2} ){527}[0-9A-F]{2}$/);
      const page = Uint8Array.from(Buffer.from(line.replaceAll(" ", ""), "hex"));
      const header = decodePageHeader(page);
      expect(header.pageNumber).toBe((egv?.firstPage ?? 0) + i);
      expect(header.recordType).toBe(4);
      expect(header.revision).toBe(5);
      expect(header.firstRecordIndex).toBe(header.pageNumber * 20);
    });

    const json = await sharebridge(
      "receiver",
      "dump",
      "--type",
      "manufacturing",
      "--format",
      "json",
      "--device",
      device,
    );
    const [record] = json.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { page: number; hex: string; header: object });
    expect(record?.page).toBe(0);
    expect(record?.header).toMatchObject({ recordType: 0, recordCount: 1 });
    const bytes = Buffer.from(record?.hex.replaceAll(" ", "") ?? "", "hex");
    expect(bytes.readUInt16LE(526)).toBe(crc16(bytes, 28, 526));
  });

  it("over a pty, and a dump outside the range is a usage error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sharebridge-cli-"));
    try {
      const path = join(dir, "dexcom");
      const { where } = await startEmulator(["--pty", path, "--profile", "g4", "--seed", "9", "--days", "2"]);
      expect(where).toContain(path);
      const info = JSON.parse((await sharebridge("receiver", "info", "--json", "--device", path)).stdout) as {
        productName: string;
        device: string;
      };
      expect(info.productName).toBe("Dexcom G4 Receiver");
      expect(info.device).toBe(path);
      const dump = await sharebridge(
        "receiver",
        "dump",
        "--type",
        "meter",
        "--first",
        "0",
        "--count",
        "1",
        "--device",
        path,
      );
      expect(dump.stdout.trimEnd().split("\n")).toHaveLength(1);
      const outside = await sharebridge(
        "receiver",
        "dump",
        "--type",
        "egv",
        "--first",
        "90000",
        "--device",
        path,
      ).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(outside?.code).toBe(2);
      expect(outside?.stderr).toContain("outside the partition's range");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
