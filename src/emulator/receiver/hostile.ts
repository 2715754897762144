/**
 * A hostile receiver, for tests: the byte-exact emulator behind a TCP proxy that rewrites its replies
 * the way a receiver with damaged flash, a USB glitch or a ser2net bridge gone wrong could (issue 11).
 *
 *   host ──tcp──► proxy ──(requests as they are)──► emulator session
 *   host ◄──tcp── proxy ◄──(replies, rewritten by the mode)── emulator session
 *
 * Modes:
 *   absurd-range           ReadDatabasePageRange of the reading partitions answers 0..0xFFFFFFFE
 *   shifted-replies        each reply answers the request before it (the first gets none)
 *   malformed-multipage    a multi-page read is ACKed with one page only (a length that does not match)
 *   damaged-records        every other record of every page: CRC right, values absurd (erased glucose
 *                          word, trend 15, SystemTime 0xFFFFFFF0)
 *   false-start-flood      every reply comes after `floodBytes` of `01 46 08` repeated
 *   disconnect-every-byte  every connection delivers one byte of its first reply, then closes
 *
 * `honestConnections` serves the first connections as they are, the mode from the next one: a test
 * lets a first sync leave a cursor, then meets the mode with it (the absurd range's worst case).
 * `replyDelayMs` adds a slow line on top of any mode: every reply leaves that long after the
 * emulator gave it, in order. A test that stops a command mid-read uses it to know the command is
 * still waiting on the receiver when its signal arrives.
 *
 * Start it from a test (`startHostileReceiver`) or as a child process (test/support/hostile-receiver.mjs,
 * for end-to-end runs of sync and the daemon against `tcp://127.0.0.1:PORT`).
 */
import { createServer, type Socket } from "node:net";
import { SharebridgeError } from "../../errors.js";
import { Deframer } from "../../receiver/deframer.js";
import type { Transport } from "../../receiver/transport.js";
import { layoutForRevision } from "../../records/layouts.js";
import { COMMAND_ID } from "../../wire/command-ids.js";
import { writeTrailingCrc } from "../../wire/crc16.js";
import { encodePacket, MAX_PACKET_LENGTH, MAX_REQUEST_LENGTH, type Packet } from "../../wire/packet.js";
import { decodePageHeader, PAGE_HEADER_LENGTH, PAGE_LENGTH, pageHeaderIntact } from "../../wire/page.js";
import { RECORD_TYPE } from "../../wire/record-types.js";
import { ACK } from "../../wire/response-codes.js";
import { createReceiverEmulator, type ReceiverEmulator, type ReceiverEmulatorOptions } from "./index.js";

export const HOSTILE_MODES = [
  "absurd-range",
  "shifted-replies",
  "malformed-multipage",
  "damaged-records",
  "false-start-flood",
  "disconnect-every-byte",
] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

export interface HostileOptions {
  readonly mode: HostileMode;
  /** The emulator behind the proxy (default: a G4 with 30 days of history, seed 1). */
  readonly emulator?: ReceiverEmulatorOptions;
  /** false-start-flood: bytes of `01 46 08` before each reply. Default 16 384. */
  readonly floodBytes?: number;
  /** Every reply is held this long before it is sent (default 0). */
  readonly replyDelayMs?: number;
  /** Connections served honestly before the mode applies (default 0). */
  readonly honestConnections?: number;
  /** Loopback unless told otherwise. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface HostileStats {
  connections: number;
  /** Requests seen, by command id. */
  requests: Record<number, number>;
  /** Bytes written to hosts. */
  bytesOut: number;
}

export interface HostileReceiver {
  readonly mode: HostileMode;
  /** `tcp://HOST:PORT`, for `--device` or `tcpOpener`. */
  readonly device: string;
  readonly port: number;
  readonly emulator: ReceiverEmulator;
  readonly stats: HostileStats;
  close(): Promise<void>;
}

/** The partitions whose range absurd-range rewrites: the readings (not the identity). */
const READING_PARTITIONS: ReadonlySet<number> = new Set([
  RECORD_TYPE.EGV_DATA,
  RECORD_TYPE.BACKFILLED_EGV_DATA,
]);
const FLOOD_UNIT = [0x01, 0x46, 0x08];

export function checkHostileMode(mode: string): HostileMode {
  if (!(HOSTILE_MODES as readonly string[]).includes(mode)) {
    throw new SharebridgeError("CONFIG_INVALID", `unknown hostile mode "${mode}"`, {
      mode,
      allowed: HOSTILE_MODES,
    });
  }
  return mode as HostileMode;
}

export async function startHostileReceiver(options: HostileOptions): Promise<HostileReceiver> {
  const mode = checkHostileMode(options.mode);
  const floodBytes = options.floodBytes ?? 16_384;
  const replyDelayMs = options.replyDelayMs ?? 0;
  if (!Number.isInteger(replyDelayMs) || replyDelayMs < 0 || replyDelayMs > 60_000) {
    throw new SharebridgeError("CONFIG_INVALID", "replyDelayMs must be an integer in [0, 60000]", {
      replyDelayMs,
    });
  }
  const emulator = createReceiverEmulator({ days: 30, seed: 1, ...options.emulator });
  const stats: HostileStats = { connections: 0, requests: {}, bytesOut: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    stats.connections++;
    const honest = stats.connections <= (options.honestConnections ?? 0);
    void serve(socket, emulator, { mode: honest ? undefined : mode, floodBytes, replyDelayMs }, stats).catch(
      () => socket.destroy(),
    );
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  let closing: Promise<void> | undefined;
  return {
    mode,
    device: `tcp://${host}:${port}`,
    port,
    emulator,
    stats,
    close: () => {
      closing ??= (async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await emulator.close();
      })();
      return closing;
    },
  };
}

/** One host connection: its own emulator session, replies rewritten in request order. */
async function serve(
  socket: Socket,
  emulator: ReceiverEmulator,
  how: {
    /** Undefined: an honest connection (replies as the emulator gave them). */
    readonly mode: HostileMode | undefined;
    readonly floodBytes: number;
    readonly replyDelayMs: number;
  },
  stats: HostileStats,
): Promise<void> {
  const { mode, floodBytes, replyDelayMs } = how;
  const pending: Packet[] = [];
  let previous: Uint8Array | undefined;
  const send = (bytes: Uint8Array) => {
    if (socket.destroyed) return;
    stats.bytesOut += bytes.length;
    socket.write(bytes);
  };
  const onReply = (reply: Packet) => {
    const request = pending.shift();
    if (request === undefined) return;
    const bytes = rewrite(mode, request, reply);
    switch (mode) {
      case "shifted-replies":
        if (previous !== undefined) send(previous);
        previous = bytes;
        return;
      case "false-start-flood":
        send(flood(floodBytes));
        send(bytes);
        return;
      case "disconnect-every-byte":
        send(bytes.subarray(0, 1));
        socket.end(() => socket.destroy());
        return;
      default:
        send(bytes);
    }
  };
  let slowLine = Promise.resolve();
  const replies = new Deframer(MAX_PACKET_LENGTH, (event) => {
    if (event.kind !== "packet") return;
    const reply = { code: event.packet.code, payload: event.packet.payload.slice() };
    if (replyDelayMs === 0) return onReply(reply);
    slowLine = slowLine
      .then(() => new Promise((resolve) => setTimeout(resolve, replyDelayMs)))
      .then(() => onReply(reply));
  });
  const requests = new Deframer(MAX_REQUEST_LENGTH, (event) => {
    if (event.kind !== "packet") return;
    pending.push({ code: event.packet.code, payload: event.packet.payload.slice() });
    stats.requests[event.packet.code] = (stats.requests[event.packet.code] ?? 0) + 1;
  });
  const device: Transport = await emulator.opener()({
    data: (chunk) => replies.push(chunk),
    closed: () => socket.destroy(),
  });
  socket.setNoDelay(true);
  socket.on("data", (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    requests.push(bytes);
    void device.write(Uint8Array.from(bytes)).catch(() => socket.destroy());
  });
  socket.on("error", () => socket.destroy());
  socket.on("close", () => void device.close());
}

/** The reply the mode sends for `request`, as packet bytes. */
function rewrite(mode: HostileMode | undefined, request: Packet, reply: Packet): Uint8Array {
  const isPages = request.code === COMMAND_ID.ReadDatabasePages && reply.code === ACK;
  switch (mode) {
    case "absurd-range":
      if (
        request.code === COMMAND_ID.ReadDatabasePageRange &&
        READING_PARTITIONS.has(request.payload[0] ?? -1)
      ) {
        const payload = new Uint8Array(8);
        new DataView(payload.buffer).setUint32(4, 0xfffffffe, true);
        return encodePacket(ACK, payload);
      }
      break;
    case "malformed-multipage":
      if (isPages && reply.payload.length > PAGE_LENGTH) {
        return encodePacket(ACK, reply.payload.subarray(0, PAGE_LENGTH));
      }
      break;
    case "damaged-records":
      if (isPages) return encodePacket(ACK, damageRecords(reply.payload));
      break;
    default:
      break;
  }
  return encodePacket(reply.code, reply.payload);
}

/**
 * Every other record of every page with a known layout: SystemTime 0xFFFFFFF0, the glucose word all
 * ones (erased flash), trend 15; the record CRC written again so that it holds (§4.4).
 */
function damageRecords(pages: Uint8Array): Uint8Array {
  const out = Uint8Array.from(pages);
  for (let offset = 0; offset + PAGE_LENGTH <= out.length; offset += PAGE_LENGTH) {
    if (!pageHeaderIntact(out, offset)) continue;
    const header = decodePageHeader(out, offset);
    const layout = layoutForRevision(header.recordType, header.revision);
    if (layout === undefined || !layout.name.startsWith("egv")) continue;
    const view = new DataView(out.buffer, out.byteOffset + offset, PAGE_LENGTH);
    for (let k = 1; k < header.recordCount; k += 2) {
      const at = PAGE_HEADER_LENGTH + k * layout.length;
      if (at + layout.length > PAGE_LENGTH) break;
      view.setUint32(at, 0xfffffff0, true);
      view.setUint16(at + 8, 0xffff, true);
      const trendAt = layout.length === 13 ? 10 : 19;
      view.setUint8(at + trendAt, 0x0f);
      writeTrailingCrc(out, offset + at, offset + at + layout.length - 2);
    }
  }
  return out;
}

function flood(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => FLOOD_UNIT[i % 3] as number);
}
