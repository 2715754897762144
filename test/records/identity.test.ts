/**
 * The receiver's identity (spec receiver-protocol §3.4, §10 #3): the manufacturing record of any
 * revision, read as Latin-1, the last page first and the first as a fallback; a serial that cannot
 * be found is SERIAL_NOT_FOUND, a receiver error (exit code 3).
 */
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeFor } from "../../src/cli/exit-codes.js";
import { readIdentity } from "../../src/records/identity.js";
import { FakeReceiver, manufacturingPage, manufacturingXml } from "./support/fake-receiver.js";

function withManufacturingPages(pages: Uint8Array[]): FakeReceiver {
  const fake = new FakeReceiver();
  fake.addPartition(0, { revision: 1, recordLength: 500, pages: new Map(pages.map((p, i) => [i, p])) });
  return fake;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a failure"),
    (error: unknown) => error,
  );
}

describe("readIdentity", () => {
  it("reads the serial of the last manufacturing page", async () => {
    const fake = withManufacturingPages([
      manufacturingPage("SM11111111", 0),
      manufacturingPage("SM22222222", 1),
    ]);
    const identity = await readIdentity(fake);
    expect(identity.serial).toBe("SM22222222");
    expect(identity.generation).toBe("G4");
    expect(fake.pageRequests).toEqual([1]);
  });

  it("accepts any record revision", async () => {
    const fake = withManufacturingPages([manufacturingPage("SM33333333", 0, { revision: 7 })]);
    expect((await readIdentity(fake)).serial).toBe("SM33333333");
  });

  it("reads the record as Latin-1", async () => {
    const xml = manufacturingXml("SM44444444", "MT20649-Ä");
    const fake = withManufacturingPages([manufacturingPage("SM44444444", 0, { xml })]);
    const identity = await readIdentity(fake);
    expect(identity.serial).toBe("SM44444444");
    expect(identity.manufacturing.hardwarePartNumber).toBe("MT20649-Ä");
  });

  it("falls back to the first page when the last one holds no usable record", async () => {
    const damaged = manufacturingPage("SM55555555", 1);
    damaged[100] = (damaged[100] as number) ^ 0xff; // the record CRC no longer holds
    const fake = withManufacturingPages([manufacturingPage("SM66666666", 0), damaged]);
    expect((await readIdentity(fake)).serial).toBe("SM66666666");
    expect(fake.pageRequests).toEqual([1, 1]);
  });

  it.each([
    [
      "no SerialNumber attribute",
      manufacturingPage("x", 0, { xml: '<ManufacturingParameters HardwareRevision="23" />' }),
    ],
    ["a serial that is not one", manufacturingPage("SM 1/2", 0)],
    ["text that is not XML", manufacturingPage("x", 0, { xml: "SerialNumber=SM12345678" })],
  ])("%s is SERIAL_NOT_FOUND, exit code 3", async (_, page) => {
    const error = await failure(readIdentity(withManufacturingPages([page])));
    expect(error).toMatchObject({ code: "SERIAL_NOT_FOUND" });
    expect(exitCodeFor(error)).toBe(EXIT.RECEIVER);
  });

  it("an empty manufacturing partition is SERIAL_NOT_FOUND", async () => {
    const fake = new FakeReceiver();
    fake.addPartition(0, { revision: 1, recordLength: 500, pages: new Map() });
    expect(await failure(readIdentity(fake))).toMatchObject({ code: "SERIAL_NOT_FOUND" });
  });
});
