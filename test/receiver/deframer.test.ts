import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { Deframer, type DeframerEvent } from "../../src/receiver/deframer.js";
import { encodePacket, MAX_RESPONSE_LENGTH } from "../../src/wire/packet.js";
import { hex, toHex } from "../support/hex.js";

interface Outcome {
  packets: string[];
  discarded: number;
  reasons: string[];
  falseStarts: number;
}

function run(chunks: Uint8Array[], options: { idle?: boolean; max?: number } = {}): Outcome {
  const outcome: Outcome = { packets: [], discarded: 0, reasons: [], falseStarts: 0 };
  const deframer = new Deframer(options.max ?? MAX_RESPONSE_LENGTH, (event: DeframerEvent) => {
    if (event.kind === "packet") {
      outcome.packets.push(`${event.packet.code}:${toHex(event.packet.payload)}`);
    } else {
      outcome.discarded += event.count;
      outcome.reasons.push(event.reason);
      outcome.falseStarts += event.falseStarts;
    }
  });
  for (const chunk of chunks) deframer.push(chunk);
  if (options.idle === true) while (deframer.idle()) {}
  return outcome;
}

const ack = hex("01 06 00 01 35 D4");
const systemTime = hex("01 0A 00 01 C9 C5 D7 08 A0 9E");

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe("deframer", () => {
  it("emits two packets from one chunk", () => {
    expect(run([concat(ack, systemTime)]).packets).toEqual(["1:", "1:C9 C5 D7 08"]);
  });

  it("joins a packet spread over chunks, the CRC alone in the last one", () => {
    const out = run([systemTime.subarray(0, 2), systemTime.subarray(2, 8), systemTime.subarray(8)]);
    expect(out.packets).toEqual(["1:C9 C5 D7 08"]);
    expect(out.discarded).toBe(0);
  });

  it("skips leading noise and reports it", () => {
    const out = run([concat(hex("00 FF 7E 02"), ack)]);
    expect(out.packets).toEqual(["1:"]);
    expect(out.discarded).toBe(4);
    expect(out.reasons).toEqual(["no-sof"]);
  });

  it("goes on after a bad CRC, giving up only the false SOF", () => {
    const corrupt = Uint8Array.from(systemTime);
    corrupt[9] = (corrupt[9] as number) ^ 0xff;
    const out = run([concat(corrupt, ack)]);
    expect(out.packets).toEqual(["1:"]);
    expect(out.discarded).toBe(10);
    expect(out.reasons[0]).toBe("bad-crc");
  });

  it("finds a real packet hidden behind a false SOF whose length covers it", () => {
    // 01 0C 00 announces 12 bytes: the false candidate spans the real ACK and fails its CRC.
    const out = run([concat(hex("01 0C 00"), ack, hex("00 00 00"))]);
    expect(out.packets).toEqual(["1:"]);
    expect(out.reasons).toContain("bad-crc");
  });

  it("refuses lengths outside [6, max] before waiting for them", () => {
    const out = run([concat(hex("01 05 00"), hex("01 FF FF"), ack)]);
    expect(out.packets).toEqual(["1:"]);
    // One report for the run: 6 bytes, two false starts.
    expect(out.reasons).toEqual(["bad-length"]);
    expect(out.falseStarts).toBe(2);
    expect(out.discarded).toBe(6);
    const small = run([encodePacket(1, new Uint8Array(20))], { max: 16 });
    expect(small.packets).toEqual([]);
    expect(small.reasons[0]).toBe("bad-length");
  });

  it("accepts a 2118-byte four-page reply, in one chunk or byte by byte", () => {
    const reply = encodePacket(1, new Uint8Array(2112).fill(0xab));
    const payloads: Uint8Array[] = [];
    const deframer = new Deframer(MAX_RESPONSE_LENGTH, (e) => {
      if (e.kind === "packet") payloads.push(e.packet.payload.slice());
    });
    deframer.push(reply);
    for (const byte of reply) deframer.push(Uint8Array.of(byte));
    expect(payloads).toEqual([new Uint8Array(2112).fill(0xab), new Uint8Array(2112).fill(0xab)]);
    expect(deframer.stats).toMatchObject({ packets: 2, discardedBytes: 0, badCrc: 0, badLength: 0 });
  });

  it("waits for a partial packet, and idle() keeps it while no valid packet follows", () => {
    const events: DeframerEvent[] = [];
    const deframer = new Deframer(MAX_RESPONSE_LENGTH, (e) => events.push(e));
    deframer.push(systemTime.subarray(0, 7));
    expect(deframer.buffered).toBe(7);
    expect(deframer.idle()).toBe(false);
    expect(deframer.buffered).toBe(7);
    deframer.push(systemTime.subarray(7));
    expect(events.map((e) => e.kind)).toEqual(["packet"]);
  });

  it("idle() recovers a packet stuck behind a false SOF announcing more than arrives", () => {
    const stalled = run([concat(hex("01 FF 07"), ack)]);
    expect(stalled.packets).toEqual([]);
    const recovered = run([concat(hex("01 FF 07"), ack)], { idle: true });
    expect(recovered.packets).toEqual(["1:"]);
    expect(recovered.reasons).toEqual(["stalled"]);
    expect(recovered.discarded).toBe(3);
  });

  it("reset() drops the buffered bytes and reports them", () => {
    const events: DeframerEvent[] = [];
    const deframer = new Deframer(MAX_RESPONSE_LENGTH, (e) => events.push(e));
    deframer.push(systemTime.subarray(0, 5));
    expect(deframer.reset()).toBe(5);
    expect(deframer.buffered).toBe(0);
    expect(events).toEqual([
      { kind: "discarded", reason: "reset", count: 5, falseStarts: 0, preview: systemTime.subarray(0, 5) },
    ]);
    deframer.push(ack);
    expect(events.at(-1)?.kind).toBe("packet");
  });

  it("validates its bound", () => {
    expect(() => new Deframer(5, () => {})).toThrow(/CONFIG_INVALID/);
    expect(() => new Deframer(70_000, () => {})).toThrow(/CONFIG_INVALID/);
  });
});

// Packets as they appear on the wire: a response code and a payload up to four pages long.
const packetArb = fc
  .tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 300 }))
  .map(([code, payload]) => encodePacket(code, payload));
// Garbage rich in SOF bytes and small length bytes, so false starts are common.
const garbageArb = fc
  .array(fc.oneof(fc.constant(0x01), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 255 })), {
    maxLength: 64,
  })
  .map((bytes) => Uint8Array.from(bytes));
const streamArb = fc.array(packetArb, { minLength: 1, maxLength: 6 }).map((ps) => concat(...ps));

describe("deframer properties", () => {
  test.prop([streamArb, fc.array(fc.nat(), { maxLength: 12 })])(
    "any split of a byte stream gives the same packets",
    (stream, cuts) => {
      const whole = run([stream]);
      const split = run(splitAt(stream, cuts));
      expect(split).toEqual(whole);
      expect(whole.discarded).toBe(0);
    },
  );

  test.prop([garbageArb, streamArb, fc.array(fc.nat(), { maxLength: 6 })], { numRuns: 500 })(
    "a garbage prefix is skipped: every real packet after it is delivered",
    (garbage, stream, cuts) => {
      const expected = run([stream]).packets;
      const out = run(splitAt(concat(garbage, stream), cuts), { idle: true });
      expect(out.packets.slice(-expected.length)).toEqual(expected);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 8 })])(
    "still works after any malformed input: after reset(), and after idle()",
    (junk, cuts) => {
      const events: DeframerEvent[] = [];
      const deframer = new Deframer(MAX_RESPONSE_LENGTH, (e) => events.push(e));
      for (const chunk of splitAt(junk, cuts)) deframer.push(chunk);
      deframer.reset();
      events.length = 0;
      deframer.push(systemTime);
      expect(events).toHaveLength(1);
      expect(events[0]?.kind).toBe("packet");

      const again = run([...splitAt(junk, cuts), systemTime], { idle: true });
      expect(again.packets.at(-1)).toBe("1:C9 C5 D7 08");
    },
  );

  test.prop([fc.uint8Array({ maxLength: 4000 })])("never throws and accounts for every byte", (junk) => {
    let packetBytes = 0;
    let discarded = 0;
    const deframer = new Deframer(MAX_RESPONSE_LENGTH, (e) => {
      if (e.kind === "packet") packetBytes += e.packet.payload.length + 6;
      else discarded += e.count;
    });
    deframer.push(junk);
    deframer.idle();
    const held = deframer.buffered;
    deframer.reset();
    expect(packetBytes + discarded).toBe(junk.length);
    expect(held).toBeLessThan(MAX_RESPONSE_LENGTH);
  });
});

/** A flood of false starts announcing the longest reply (the hostile case of issue 11). */
function falseStartFlood(repeats: number): Uint8Array {
  const bytes = new Uint8Array(3 * repeats);
  for (let i = 0; i < bytes.length; i += 3) bytes.set([0x01, 0x46, 0x08], i);
  return bytes;
}

describe("deframer work", () => {
  it("a flood of false starts costs a few steps per byte, and a packet after it is still found", () => {
    const events: DeframerEvent[] = [];
    const deframer = new Deframer(MAX_RESPONSE_LENGTH, (e) => events.push(e));
    const flood = falseStartFlood(30_000);
    for (let i = 0; i < flood.length; i += 64) deframer.push(flood.subarray(i, i + 64));
    deframer.push(systemTime);
    expect(deframer.stats.work).toBeLessThan(5 * (flood.length + systemTime.length));
    // The last false starts still wait for 2118 bytes; the quiet line gives up on them.
    expect(deframer.idle()).toBe(true);
    expect(events.filter((e) => e.kind === "packet")).toHaveLength(1);
    const discarded = events.flatMap((e) => (e.kind === "discarded" ? [e] : []));
    expect(discarded.reduce((n, e) => n + e.count, 0)).toBe(flood.length);
    // One report per push at most, not one per false start.
    expect(discarded.length).toBeLessThanOrEqual(flood.length / 64 + 2);
    expect(deframer.stats.badCrc).toBeGreaterThan(29_000);
  });
});

const floodArb = fc
  .tuple(fc.nat(3000), fc.constantFrom([0x01, 0x46, 0x08], [0x01, 0x06, 0x00], [0x01, 0xff, 0xff], [0x01]))
  .map(([repeats, unit]) =>
    Uint8Array.from({ length: repeats * unit.length }, (_, i) => unit[i % unit.length] as number),
  );
const hostileArb = fc.oneof(
  fc.uint8Array({ maxLength: 8000 }),
  floodArb,
  fc.array(fc.oneof(garbageArb, floodArb, streamArb), { maxLength: 6 }).map((parts) => concat(...parts)),
);

describe("deframer work properties", () => {
  test.prop([hostileArb, fc.array(fc.nat(), { maxLength: 40 })], { numRuns: 200 })(
    "work stays linear in the bytes pushed, however they are split",
    (bytes, cuts) => {
      const deframer = new Deframer(MAX_RESPONSE_LENGTH, () => undefined);
      const chunks = splitAt(bytes, cuts);
      for (const chunk of chunks) deframer.push(chunk);
      expect(deframer.stats.work).toBeLessThanOrEqual(5 * bytes.length + 2 * chunks.length + 8);
      expect(deframer.buffered).toBeLessThan(MAX_RESPONSE_LENGTH);
    },
  );
});
