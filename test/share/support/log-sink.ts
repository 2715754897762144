/** A pino logger writing into a string the test can search (every level, JSON lines). */
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../../src/log.js";

export interface LogSink {
  readonly log: Logger;
  text(): string;
  lines(): Record<string, unknown>[];
}

export function logSink(): LogSink {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString("utf8"));
      callback();
    },
  });
  const log = createLogger({ level: "trace", destination, pretty: false });
  return {
    log,
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
