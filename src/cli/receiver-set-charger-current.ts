/**
 * `sharebridge receiver set-charger-current --level off|100mA|500mA|max|suspended`: how much current
 * the receiver draws from USB to charge (WriteChargerCurrentSetting, spec §3.1). A receiver charging
 * from a small single-board computer can brown it out; a lower level helps. Only this explicit
 * command writes it.
 */
import { SharebridgeError } from "../errors.js";
import {
  CHARGER_CURRENT_LEVELS,
  ReadChargerCurrentSetting,
  WriteChargerCurrentSetting,
} from "../receiver/commands.js";
import type { Command } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { withReceiver } from "./receiver-connection.js";

const LEVELS: Readonly<Record<string, number>> = { off: 0, "100mA": 1, "500mA": 2, max: 3, suspended: 4 };

const command: Command = {
  usage: `--level ${Object.keys(LEVELS).join("|")}`,
  options: { level: { type: "string" } },
  async run(context) {
    const name = context.values["level"];
    const level = typeof name === "string" ? LEVELS[name] : undefined;
    if (level === undefined) {
      throw new SharebridgeError("USAGE", `--level must be one of ${Object.keys(LEVELS).join(", ")}`, {});
    }
    await withReceiver(context, async (receiver) => {
      await receiver.call(WriteChargerCurrentSetting, level);
      const now = await receiver.call(ReadChargerCurrentSetting);
      const label = CHARGER_CURRENT_LEVELS[now as keyof typeof CHARGER_CURRENT_LEVELS] ?? `unknown (${now})`;
      context.stdout.write(`charger current: ${label}\n`);
      if (now !== level) {
        throw new SharebridgeError(
          "RESPONSE_MALFORMED",
          "the receiver did not keep the new charger setting",
          {
            asked: level,
            reads: now,
          },
        );
      }
    });
    return EXIT.OK;
  },
};

export default command;
