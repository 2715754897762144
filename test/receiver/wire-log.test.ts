/**
 * The link's wire log under attack, into a log sink: discarded-byte reports are rate-limited at
 * debug level, and frames at trace level are hex (tx/rx) and rate-limited too (issue 11).
 */
import { describe, expect, it } from "vitest";
import { Deframer } from "../../src/receiver/deframer.js";
import { Link } from "../../src/receiver/link.js";
import { WireLog } from "../../src/receiver/wire-log.js";
import { encodePacket, MAX_RESPONSE_LENGTH } from "../../src/wire/packet.js";
import { logSink } from "../share/support/log-sink.js";
import { ManualTime } from "../support/manual-time.js";
import { scriptedDevice } from "../support/scripted-device.js";

/** A log sink at `level` (JSON lines the test reads back). */
function sink(level: "info" | "debug" | "trace") {
  const logs = logSink();
  logs.log.level = level;
  return { log: logs.log, lines: () => logs.lines() };
}

const FLOOD_UNIT = [0x01, 0x46, 0x08];

describe("wire log", () => {
  it("reports a minute of false-start flood in a handful of debug lines that add up", () => {
    const time = new ManualTime();
    const { lines, log } = sink("debug");
    const wireLog = new WireLog(log, time, { intervalMs: 10_000 });
    const deframer = new Deframer(MAX_RESPONSE_LENGTH, (event) => {
      if (event.kind === "discarded") wireLog.discarded(event);
    });
    const chunk = Uint8Array.from({ length: 63 }, (_, i) => FLOOD_UNIT[i % 3] as number);
    // 64 bytes a millisecond for 60 s: 3.8 MB, ~1.3 million false starts.
    for (let ms = 0; ms < 60_000; ms++) {
      deframer.push(chunk);
      time.tick(1);
    }
    wireLog.flush();
    const reports = lines().filter((line) => line["msg"] === "discarded bytes");
    expect(reports.length).toBeGreaterThanOrEqual(6);
    expect(reports.length).toBeLessThanOrEqual(8);
    const reported = reports.reduce((sum, line) => sum + (line["bytes"] as number), 0);
    expect(reported).toBe(deframer.stats.discardedBytes);
    expect(reports[0]).toMatchObject({
      level: 20,
      preview: "01 46 08 01 46 08 01 46 08 01 46 08 01 46 08 01",
    });
    expect(reports.at(-1)?.["falseStarts"]).toBeGreaterThan(100_000);
  });

  it("writes nothing for discards above debug level", () => {
    const time = new ManualTime();
    const { lines, log } = sink("info");
    const wireLog = new WireLog(log, time);
    const deframer = new Deframer(MAX_RESPONSE_LENGTH, (event) => {
      if (event.kind === "discarded") wireLog.discarded(event);
    });
    deframer.push(Uint8Array.of(0, 1, 2, 3));
    wireLog.flush();
    expect(lines()).toEqual([]);
  });

  it("logs requests and replies as hex at trace level, at most 100 frames per 10 s", async () => {
    const time = new ManualTime();
    const { lines, log } = sink("trace");
    const reply = encodePacket(1, Uint8Array.of(0xc9, 0xc5, 0xd7, 0x08));
    const device = scriptedDevice(() => ({ reply }), time);
    const link = await time.run(Link.open(device.opener, { clock: time, timers: time, log }));
    for (let i = 0; i < 80; i++) await time.run(link.request(0x22, new Uint8Array(0)));
    await time.advance(10_000);
    await time.run(link.request(0x22, new Uint8Array(0)));
    await link.close();
    const frames = lines().filter((line) => line["msg"] === "frame");
    // 160 frames in the first interval, 100 logged; the next one says how many were left out.
    expect(frames).toHaveLength(102);
    expect(frames[0]).toMatchObject({ level: 10, direction: "tx", length: 6, hex: "01 06 00 22 34 C0" });
    expect(frames[1]).toMatchObject({ direction: "rx", hex: "01 0A 00 01 C9 C5 D7 08 A0 9E" });
    expect(frames[100]).toMatchObject({ direction: "tx", framesLeftOut: 60 });
    expect(frames[101]).toMatchObject({ direction: "rx" });
    expect(frames[101]?.["framesLeftOut"]).toBeUndefined();
  });

  it("a link flooded with false starts logs a bounded number of discard reports", async () => {
    const time = new ManualTime();
    const { lines, log } = sink("debug");
    const flood = Uint8Array.from({ length: 3 * 20_000 }, (_, i) => FLOOD_UNIT[i % 3] as number);
    const chunks = Array.from({ length: flood.length / 60 }, (_, i) => flood.subarray(60 * i, 60 * i + 60));
    const device = scriptedDevice(
      () => ({ chunks: [...chunks, encodePacket(1, Uint8Array.of(7))], gapMs: 1 }),
      time,
    );
    const link = await time.run(
      Link.open(device.opener, { clock: time, timers: time, log, timeoutMs: 5_000, retries: 0, reopens: 0 }),
    );
    const response = await time.run(link.request(0x0a, new Uint8Array(0)));
    await link.close();
    // The reply behind 60 kB of false starts arrives after 1 s of flood: taken once the line is quiet.
    expect([...response.payload]).toEqual([7]);
    const reports = lines().filter((line) => line["msg"] === "discarded bytes");
    expect(reports.length).toBeLessThanOrEqual(3);
    expect(reports.reduce((sum, line) => sum + (line["bytes"] as number), 0)).toBe(flood.length);
  });
});
