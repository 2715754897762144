/**
 * A ReceiverApi over pages held in memory, for reader tests. Replies are built as the receiver's
 * payload bytes (spec receiver-protocol §3.1, §4.2, §4.6, §4.7) and decoded by the real command
 * codecs, so the reader sees exactly what the link would hand it. Every command is counted;
 * readPages is split into requests of up to 4 pages, each counted as one ReadDatabasePages.
 */
import type { Clock } from "../../../src/clock.js";
import { SharebridgeError } from "../../../src/errors.js";
import { type CommandCodec, ReadDatabasePages } from "../../../src/receiver/commands.js";
import type { ReadPagesOptions, ReceiverApi, TimedResult } from "../../../src/receiver/receiver-api.js";
import { FAKE_EPOCH_MS } from "../../support/manual-time.js";
import { page, record } from "./page-builder.js";

export interface FakePartition {
  revision: number;
  recordLength: number;
  /** Pages by page number; the range is (smallest, largest) key. */
  pages: Map<number, Uint8Array>;
  /** Leave out of PartitionInfo (touchscreen partitions the G4-era document does not list). */
  unlisted?: boolean;
}

/** The ManufacturingParameters document of §4.8 (the EC fixture's values) with `serial`. */
export function manufacturingXml(serial: string, partNumber = "MT20649"): string {
  return `<ManufacturingParameters SerialNumber="${serial}" HardwarePartNumber="${partNumber}" HardwareRevision="23" DateTimeCreated="2014-12-09 18:25:59.246 -08:00" HardwareId="{0858EEF9-FF2F-4AE1-BA5F-E4FF90F6960B}" />`;
}

/** A manufacturing page (§5.8): one 500-byte record holding `xml` as Latin-1, NUL-padded. */
export function manufacturingPage(
  serial: string,
  pageNumber = 0,
  { revision = 1, xml = manufacturingXml(serial) }: { revision?: number; xml?: string } = {},
): Uint8Array {
  const r = record(500, (b) => {
    b.writeUInt32LE(187_410_360, 0);
    b.writeUInt32LE(187_381_559, 4);
    b.write(xml, 8, "latin1");
  });
  return page({ recordType: 0, revision, pageNumber, perPage: 1, records: [r] });
}

export class FakeReceiver implements ReceiverApi {
  readonly description = "fake";
  readonly partitions = new Map<number, FakePartition>();
  /** Command names in call order (`ReadDatabasePages` once per request of ≤ 4 pages). */
  readonly calls: string[] = [];
  /** Page counts of each ReadDatabasePages request. */
  readonly pageRequests: number[] = [];
  systemSeconds = 300_000_000;
  /** Page ranges to report instead of the pages held (a receiver whose range is not to be trusted). */
  readonly ranges = new Map<number, [number, number]>();
  /** Record types the fake refuses with INVALID_PARAM, as a G4 refuses type 18 (§7.2). */
  readonly refusedTypes = new Set<number>();
  /** The host clock the round-trip times are read from (a fixed epoch unless a test moves it). */
  clock: Clock = { now: () => FAKE_EPOCH_MS };
  partitionInfoAvailable = true;

  constructor(serial = "SM12345678") {
    this.setSerial(serial);
  }

  setSerial(serial: string): void {
    this.partitions.set(0, {
      revision: 1,
      recordLength: 500,
      pages: new Map([[0, manufacturingPage(serial)]]),
    });
  }

  addPartition(recordType: number, partition: FakePartition): void {
    this.partitions.set(recordType, partition);
  }

  count(name: string): number {
    return this.calls.filter((c) => c === name).length;
  }

  resetCounts(): void {
    this.calls.length = 0;
    this.pageRequests.length = 0;
  }

  async call<Args extends unknown[], Result>(
    codec: CommandCodec<Args, Result>,
    ...args: Args
  ): Promise<Result> {
    return (await this.callTimed(codec, ...args)).value;
  }

  async callTimed<Args extends unknown[], Result>(
    codec: CommandCodec<Args, Result>,
    ...args: Args
  ): Promise<TimedResult<Result>> {
    codec.encode(...args);
    this.calls.push(codec.name);
    const payload = this.#respond(codec.id, args);
    const sentAtMs = this.clock.now();
    return { value: codec.decode(payload, ...args), sentAtMs, receivedAtMs: sentAtMs + 12 };
  }

  async readPages(
    recordType: number,
    firstPage: number,
    count: number,
    { onProgress, signal }: ReadPagesOptions = {},
  ): Promise<Uint8Array[]> {
    const pages: Uint8Array[] = [];
    while (pages.length < count) {
      if (signal?.aborted === true) throw new SharebridgeError("ABORTED", "read cancelled");
      const want = Math.min(4, count - pages.length);
      this.pageRequests.push(want);
      pages.push(...(await this.call(ReadDatabasePages, recordType, firstPage + pages.length, want)));
      onProgress?.(pages.length);
    }
    return pages;
  }

  async close(): Promise<void> {}

  #range(recordType: number): [number, number] | undefined {
    const override = this.ranges.get(recordType);
    if (override !== undefined) return override;
    const keys = [...(this.partitions.get(recordType)?.pages.keys() ?? [])];
    if (keys.length === 0) return undefined;
    return [Math.min(...keys), Math.max(...keys)];
  }

  #respond(id: number, args: unknown[]): Uint8Array {
    const b = (n: number) => Buffer.alloc(n);
    switch (id) {
      case 0x0b:
        return Buffer.from(
          "<FirmwareHeader SchemaVersion='1' ApiVersion='2.2.0.0' ProductId='G4Receiver' ProductName='Dexcom G4 Receiver' SoftwareNumber='SW10050' FirmwareVersion='2.0.1.104'/>",
          "latin1",
        );
      case 0x0f: {
        if (!this.partitionInfoAvailable)
          throw new SharebridgeError("RECEIVER_NAK", "refused", { responseCode: 3 });
        const rows = [...this.partitions.entries()]
          .filter(([, p]) => p.unlisted !== true)
          .map(
            ([id, p]) =>
              `<Partition Name='P${id}' Id='${id}' RecordRevision='${p.revision}' RecordLength='${p.recordLength}'/>`,
          )
          .join("");
        return Buffer.from(
          `<PartitionInfo SchemaVersion='1' PageHeaderVersion='1' PageDataLength='500'>${rows}</PartitionInfo>`,
          "latin1",
        );
      }
      case 0x10: {
        if (this.refusedTypes.has(args[0] as number))
          throw new SharebridgeError("RECEIVER_NAK", "refused", { responseCode: 4 });
        const out = b(8);
        const range = this.#range(args[0] as number);
        out.writeUInt32LE(range?.[0] ?? 0xffffffff, 0);
        out.writeUInt32LE(range?.[1] ?? 0xffffffff, 4);
        return out;
      }
      case 0x11: {
        const [type, first, count] = args as [number, number, number];
        const parts: Uint8Array[] = [];
        for (let p = first; p < first + count; p++) {
          const bytes = this.partitions.get(type)?.pages.get(p);
          if (bytes === undefined)
            throw new SharebridgeError("RECEIVER_NAK", "page out of range", { responseCode: 4 });
          parts.push(bytes);
        }
        return Buffer.concat(parts);
      }
      case 0x22: {
        const out = b(4);
        out.writeUInt32LE(this.systemSeconds, 0);
        return out;
      }
      default:
        throw new SharebridgeError("RECEIVER_NAK", `fake does not answer command ${id}`, { responseCode: 3 });
    }
  }
}

/** Pages as a map by page number (pages built with consecutive numbers from `firstPage`). */
export function pageMap(firstPage: number, pages: readonly Uint8Array[]): Map<number, Uint8Array> {
  return new Map(pages.map((p, i) => [firstPage + i, p]));
}
