/**
 * Reply delays measured from the vendor capture (spec receiver-protocol §1.5, §7.1): how long a real
 * G4 takes from request to reply. Off by default (tests want speed); `realistic` turns it on.
 */
import { COMMAND_ID } from "../../wire/command-ids.js";
import type { Prng } from "./prng.js";

/** Delay before replying to `commandId`, ms; `pages` is the number of pages in a page read. */
export function replyDelayMs(commandId: number, pages: number, r: Prng): number {
  switch (commandId) {
    case COMMAND_ID.ReadDatabasePageRange:
      return r.int(18, 22);
    case COMMAND_ID.ReadDatabasePageHeader:
      return r.int(24, 28);
    case COMMAND_ID.ReadDatabasePages:
    case COMMAND_ID.ReadFlashPage:
      // ~25 ms for one page, ~8 ms per further page (CAP: 25, 44, 48 ms for 1, 2, 4 pages).
      return 25 + 8 * Math.max(0, pages - 1) + r.int(-2, 2);
    case COMMAND_ID.ReadDatabasePartitionInfo:
      return r.int(100, 220);
    case COMMAND_ID.ReadFirmwareSettings:
      return r.int(170, 190);
    default:
      // Scalar reads, Ping, the firmware header, writes and error replies.
      return r.int(12, 16);
  }
}
