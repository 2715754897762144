/** What the emulator has seen and done, for tests and logs (STYLE.md §13: count protocol health). */
import { emptyFaultCounts, type FaultCounts } from "./faults.js";

export interface EmulatorStats {
  /** Connections opened (memory opens, TCP accepts, pty device opens). */
  connections: number;
  /** Well-formed request packets received. */
  requests: number;
  /** Requests per command id (decimal keys). */
  requestsByCommand: Record<number, number>;
  /** Replies written (whole or cut off by an unplug). */
  replies: number;
  /** Replies per response code as sent (after faults). */
  repliesByCode: Record<number, number>;
  faults: FaultCounts;
  framing: {
    /** Bytes before a start-of-frame, dropped silently (§7.2). */
    garbageBytes: number;
    badCrc: number;
    badLength: number;
    /** Packets started but not completed within the inter-byte timeout. */
    incomplete: number;
  };
}

export function createStats(): EmulatorStats {
  return {
    connections: 0,
    requests: 0,
    requestsByCommand: {},
    replies: 0,
    repliesByCode: {},
    faults: emptyFaultCounts(),
    framing: { garbageBytes: 0, badCrc: 0, badLength: 0, incomplete: 0 },
  };
}
