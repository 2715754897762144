/** Test helpers for the receiver emulator: hex, and a minimal host that talks to an opener. */
import { Deframer, type DeframerEvent } from "../../../src/receiver/deframer.js";
import type { Transport, TransportOpener } from "../../../src/receiver/transport.js";
import { encodePacket, MAX_RESPONSE_LENGTH, type Packet } from "../../../src/wire/packet.js";

export { ascii, hex, toHex } from "../../support/hex.js";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A fixed host time for tests: 2026-11-24 12:00:00 UTC. */
export const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

/** One open connection to the emulator, recording every byte and chunk that arrives. */
export class TestHost {
  readonly chunks: Uint8Array[] = [];
  readonly packets: Packet[] = [];
  readonly discarded: DeframerEvent[] = [];
  closedWith: Error | undefined;
  closed = false;
  #transport: Transport | undefined;
  readonly #deframer = new Deframer(MAX_RESPONSE_LENGTH, (event) => {
    if (event.kind === "packet") {
      this.packets.push({ code: event.packet.code, payload: event.packet.payload.slice() });
    } else this.discarded.push(event);
  });

  static async open(opener: TransportOpener): Promise<TestHost> {
    const host = new TestHost();
    host.#transport = await opener({
      data: (chunk) => {
        host.chunks.push(chunk.slice());
        host.#deframer.push(chunk);
      },
      closed: (error) => {
        host.closed = true;
        host.closedWith = error;
      },
    });
    return host;
  }

  /** Every byte received so far, concatenated. */
  get bytes(): Uint8Array {
    return Uint8Array.from(Buffer.concat(this.chunks));
  }

  async send(bytes: Uint8Array): Promise<void> {
    await this.#transport?.write(bytes);
  }

  /** Waits until `count` packets have arrived (or `timeoutMs`), returns them all. */
  async waitPackets(count: number, timeoutMs = 2000): Promise<Packet[]> {
    const deadline = performance.now() + timeoutMs;
    while (this.packets.length < count && performance.now() < deadline && !this.closed) await sleep(2);
    return this.packets;
  }

  /** Sends a command and returns the raw bytes of the next reply packet (exactly one is expected). */
  async request(code: number, payload: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    const before = this.chunks.length;
    const packetsBefore = this.packets.length;
    await this.send(encodePacket(code, payload));
    await this.waitPackets(packetsBefore + 1);
    return Uint8Array.from(Buffer.concat(this.chunks.slice(before)));
  }

  /** Sends a command and returns the decoded reply packet. */
  async call(code: number, payload: Uint8Array = new Uint8Array(0)): Promise<Packet> {
    const packetsBefore = this.packets.length;
    await this.send(encodePacket(code, payload));
    const packets = await this.waitPackets(packetsBefore + 1);
    const reply = packets[packetsBefore];
    if (reply === undefined) throw new Error(`no reply to command ${code}`);
    return reply;
  }

  async close(): Promise<void> {
    await this.#transport?.close();
  }
}

export function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

/** ReadDatabasePages payload (§4.7). */
export function pagesRequest(recordType: number, firstPage: number, count: number): Uint8Array {
  return Uint8Array.of(recordType, ...u32le(firstPage), count);
}

/** ReadDatabasePageHeader payload (§3.1). */
export function headerRequest(recordType: number, page: number): Uint8Array {
  return Uint8Array.of(recordType, ...u32le(page));
}
