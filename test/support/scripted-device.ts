/**
 * A scripted peer on the device end of an in-process transport pair: each complete request is
 * answered by the next step of a script (exact bytes, silence, a split reply, an unplug), so link
 * tests can assert retry and stale-byte behaviour byte by byte. The receiver emulator covers
 * realistic behaviour; this covers precise sequences. Delays run on the given timers (fake time in
 * the link tests).
 */
import { systemTimers, type Timers } from "../../src/clock.js";
import { SharebridgeError } from "../../src/errors.js";
import { Deframer } from "../../src/receiver/deframer.js";
import type { TransportOpener } from "../../src/receiver/transport.js";
import { createMemoryPair, type MemoryEnd } from "../../src/receiver/transports/memory.js";
import { encodePacket, MAX_REQUEST_LENGTH } from "../../src/wire/packet.js";

export type Step =
  | { reply: Uint8Array; delayMs?: number }
  | { chunks: Uint8Array[]; gapMs: number }
  | { silence: true }
  | { unplug: true; after?: Uint8Array };

export interface ScriptedDevice {
  opener: TransportOpener;
  /** Requests received, over all connections. */
  requests: { code: number; payload: number[] }[];
  opens: number;
  /** Refuse further opens (the device is gone). */
  gone: boolean;
}

export const ackWith = (payload: number[] | Uint8Array = []): Step => ({
  reply: encodePacket(1, Uint8Array.from(payload)),
});
export const replyCode = (code: number): Step => ({ reply: encodePacket(code) });

export function scriptedDevice(
  script: Step[] | ((request: { code: number; payload: Uint8Array }) => Step),
  timers: Timers = systemTimers,
): ScriptedDevice {
  let index = 0;
  const next = (request: { code: number; payload: Uint8Array }): Step => {
    if (typeof script === "function") return script(request);
    const step = script[index++];
    if (step === undefined) throw new SharebridgeError("INTERNAL", `script exhausted at request ${index}`);
    return step;
  };
  const device: ScriptedDevice = {
    requests: [],
    opens: 0,
    gone: false,
    opener: async (sink) => {
      if (device.gone) throw new SharebridgeError("DEVICE_NOT_FOUND", "scripted device is gone");
      device.opens++;
      const { host, device: end } = createMemoryPair("scripted");
      host.attach(sink);
      serve(end, timers, (request) => {
        device.requests.push({ code: request.code, payload: [...request.payload] });
        return next(request);
      });
      return host;
    },
  };
  return device;
}

function serve(
  end: MemoryEnd,
  timers: Timers,
  answer: (request: { code: number; payload: Uint8Array }) => Step,
): void {
  const write = (bytes: Uint8Array) => void end.write(bytes).catch(() => undefined);
  const deframer = new Deframer(MAX_REQUEST_LENGTH, (event) => {
    if (event.kind !== "packet") return;
    const step = answer({ code: event.packet.code, payload: event.packet.payload.slice() });
    if ("reply" in step) {
      if (step.delayMs === undefined) write(step.reply);
      else timers.setTimeout(() => write(step.reply), step.delayMs);
    } else if ("chunks" in step) {
      step.chunks.forEach((chunk, i) => {
        if (i === 0) write(chunk);
        else timers.setTimeout(() => write(chunk), i * step.gapMs);
      });
    } else if ("unplug" in step) {
      if (step.after !== undefined) write(step.after);
      timers.setTimeout(() => end.unplug(), 5);
    }
  });
  end.attach({ data: (chunk) => deframer.push(chunk), closed: () => undefined });
}
