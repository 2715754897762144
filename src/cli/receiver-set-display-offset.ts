/**
 * `sharebridge receiver set-display-offset (--offset SECONDS | --match-host) [--force]`: sets the
 * wearer's clock on the receiver (WriteDisplayTimeOffset, spec §3.1, §6.1). The sync never writes
 * the receiver's clock (DESIGN.md §5); only this explicit command does.
 *
 * The display clock is system time + offset; `--match-host` makes it show this machine's local wall
 * time (offset = host local time as receiver seconds − receiver system time), as peers do to set the
 * clock (spec §6.1). Records already written keep their times; later records carry the new offset.
 *
 * It prints the wearer's clock before and after. A result more than 24 h from this machine's local
 * time is almost certainly a mistake (a sign, a unit): it is refused before anything is written,
 * unless `--force` is given.
 */
import { SharebridgeError } from "../errors.js";
import { durationInWords } from "../observe/words.js";
import { ReadDisplayTimeOffset, ReadSystemTime, WriteDisplayTimeOffset } from "../receiver/commands.js";
import { RECEIVER_EPOCH_MS, receiverSecondsToNaiveIso } from "../time/epoch.js";
import { parseInteger } from "../util/integer.js";
import type { Command } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { usage } from "./option-values.js";
import { withReceiver } from "./receiver-connection.js";

/** How far the wearer's clock may end up from the host's local time without --force, seconds. */
export const MAX_DISTANCE_FROM_HOST_SECONDS = 24 * 3600;

/** The host's local wall time at `ms`, as receiver seconds (the zone-less count the receiver shows). */
export function hostLocalReceiverSeconds(ms: number): number {
  const localMs = ms - new Date(ms).getTimezoneOffset() * 60_000;
  return Math.round((localMs - RECEIVER_EPOCH_MS) / 1000);
}

/** "2024-05-01 08:00:00": a receiver clock as the wearer reads it. */
const wall = (seconds: number) => receiverSecondsToNaiveIso(seconds).replace("T", " ");

const command: Command = {
  usage: `(--offset SECONDS | --match-host) [--force]

  --offset=SECONDS   display time − system time, in seconds (write negative values as --offset=-25200)
  --match-host       show this machine's local wall time on the receiver
  --force            write even when the wearer's clock would be more than 24 h from this machine's local time`,
  options: { offset: { type: "string" }, "match-host": { type: "boolean" }, force: { type: "boolean" } },
  async run(context) {
    const text = context.values["offset"];
    const matchHost = context.values["match-host"] === true;
    if ((text === undefined) === !matchHost)
      usage("give exactly one of --offset SECONDS or --match-host", "offset");
    let offset: number | undefined;
    if (typeof text === "string") {
      // The receiver stores an i32 (spec §3.1).
      offset = parseInteger(text, { min: -0x8000_0000, max: 0x7fff_ffff });
      if (offset === undefined)
        usage(`--offset must be a whole number of seconds, got "${text.slice(0, 40)}"`, "offset");
    }
    await withReceiver(context, async (receiver) => {
      const before = await receiver.call(ReadDisplayTimeOffset);
      const system = await receiver.call(ReadSystemTime);
      const hostLocal = hostLocalReceiverSeconds(context.clock.now());
      const target = offset ?? hostLocal - system;
      const distance = system + target - hostLocal;
      if (Math.abs(distance) > MAX_DISTANCE_FROM_HOST_SECONDS && context.values["force"] !== true) {
        throw new SharebridgeError(
          "USAGE",
          `the wearer's clock would read ${wall(system + target)}, ${durationInWords(distance)} ${distance > 0 ? "ahead of" : "behind"} this machine's local time (${wall(hostLocal)}); nothing was written: check --offset, or give --force to write it anyway`,
          { option: "offset", offset: target, distanceSeconds: distance },
        );
      }
      await receiver.call(WriteDisplayTimeOffset, target);
      const after = await receiver.call(ReadDisplayTimeOffset);
      context.stdout.write(
        `wearer's clock   ${wall(system + before)} → ${wall(system + after)}\n` +
          `display offset   ${before} s → ${after} s\n` +
          `host local time  ${wall(hostLocal)}\n`,
      );
      if (after !== target) {
        throw new SharebridgeError("RESPONSE_MALFORMED", "the receiver did not keep the new display offset", {
          asked: target,
          reads: after,
        });
      }
    });
    return EXIT.OK;
  },
};

export default command;
