/** A sink context as the engine gives it (sinks/sink.ts), for tests that drive a sink by hand. */
import { silentLogger } from "../../../src/log.js";
import type { SinkContext } from "../../../src/sinks/sink.js";

export interface TestSinkContext {
  readonly serial?: string;
  /** True UTC now, ms. */
  readonly now: () => number;
  /** Receives the index of every reading settled through, in order. */
  readonly settled?: number[];
  /** Replaces settling (a process that dies before its cursor is saved). */
  readonly settle?: SinkContext["settle"];
}

export function sinkContext(options: TestSinkContext): SinkContext {
  let notes: unknown;
  return {
    get notes() {
      return notes;
    },
    async saveNotes(next) {
      notes = next;
    },
    serial: options.serial ?? "SM12345678",
    signal: undefined,
    log: silentLogger,
    nowUtcMs: options.now,
    settle:
      options.settle ??
      (async (through) => {
        options.settled?.push(through.index);
      }),
  };
}
