/**
 * `sharebridge receiver set-display-offset (--offset SECONDS | --match-host)`: sets the wearer's
 * clock on the receiver (WriteDisplayTimeOffset, spec §3.1, §6.1). The sync never writes the
 * receiver's clock (DESIGN.md §5); only this explicit command does.
 *
 * The display clock is system time + offset; `--match-host` makes it show this machine's local wall
 * time (offset = host local time as receiver seconds − receiver system time), as peers do to set the
 * clock (spec §6.1). Records already written keep their times; later records carry the new offset.
 */
import { SharebridgeError } from "../errors.js";
import { ReadDisplayTimeOffset, ReadSystemTime, WriteDisplayTimeOffset } from "../receiver/commands.js";
import { RECEIVER_EPOCH_MS } from "../time/epoch.js";
import type { Command } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { withReceiver } from "./receiver-connection.js";

const command: Command = {
  summary: "Set the receiver's display clock (the time the wearer sees): an explicit write",
  usage: `(--offset SECONDS | --match-host)

  --offset=SECONDS   display time − system time, in seconds (write negative values as --offset=-25200)
  --match-host       show this machine's local wall time on the receiver`,
  options: { offset: { type: "string" }, "match-host": { type: "boolean" } },
  async run(context) {
    const text = context.values["offset"];
    const matchHost = context.values["match-host"] === true;
    if ((text === undefined) === !matchHost) {
      throw new SharebridgeError("USAGE", "give exactly one of --offset SECONDS or --match-host", {});
    }
    let offset: number | undefined;
    if (typeof text === "string") {
      offset = /^-?\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(offset)) {
        throw new SharebridgeError("USAGE", `--offset must be a whole number of seconds, got "${text}"`, {});
      }
    }
    await withReceiver(context, async (receiver) => {
      const before = await receiver.call(ReadDisplayTimeOffset);
      if (offset === undefined) {
        const { value: system, receivedAtMs } = await receiver.callTimed(ReadSystemTime);
        const localMs = receivedAtMs - new Date(receivedAtMs).getTimezoneOffset() * 60_000;
        offset = Math.round((localMs - RECEIVER_EPOCH_MS) / 1000) - system;
      }
      await receiver.call(WriteDisplayTimeOffset, offset);
      const after = await receiver.call(ReadDisplayTimeOffset);
      context.stdout.write(`display offset ${before} s → ${after} s\n`);
      if (after !== offset) {
        throw new SharebridgeError("RESPONSE_MALFORMED", "the receiver did not keep the new display offset", {
          asked: offset,
          reads: after,
        });
      }
    });
    return EXIT.OK;
  },
};

export default command;
