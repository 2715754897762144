/**
 * `sharebridge mqtt forget [--serial SERIAL]…`: removes the receivers' sensors from Home Assistant
 * by clearing what sharebridge published for them on the broker (src/sinks/mqtt/forget.ts): the
 * discovery configs and the retained reading, status and availability. Removing mqtt.url from the
 * configuration removes nothing by itself; this does.
 *
 * The receivers: every --serial given, else receiver.serial, else every receiver the state file
 * knows. A running daemon with MQTT announces its receiver again at its next connection: stop it,
 * or remove mqtt.url and restart it, first.
 */
import { join } from "node:path";
import { systemTimers } from "../clock.js";
import { mqttSettings } from "../config/mqtt.js";
import { SharebridgeError } from "../errors.js";
import { readStateForStatus } from "../observe/status.js";
import { forgetReceivers } from "../sinks/mqtt/forget.js";
import { STATE_FILE_NAME } from "../sync/state-store.js";
import { countOf } from "../util/plural.js";
import type { Command, CommandContext } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { listOption, usage } from "./option-values.js";

const SERIAL = /^[A-Za-z0-9-]{1,32}$/;

async function serialsToForget(context: CommandContext): Promise<string[]> {
  const given = listOption(context.values, "serial");
  for (const serial of given) {
    if (!SERIAL.test(serial)) usage("--serial must be a receiver serial (letters and digits)", "serial");
  }
  if (given.length > 0) return given.map((s) => s.toUpperCase());
  const configured = context.config.receiver.serial;
  if (configured !== undefined) return [configured.toUpperCase()];
  const read = await readStateForStatus(join(context.config.stateDir, STATE_FILE_NAME));
  const known = read.state === "ok" ? Object.keys(read.document.receivers) : [];
  if (known.length === 0) {
    throw new SharebridgeError("USAGE", `no receiver is known in ${context.config.stateDir}`, {
      option: "serial",
      fix: "name the receiver: sharebridge mqtt forget --serial SM12345678",
    });
  }
  return known;
}

const command: Command = {
  usage: `[--serial SERIAL]…

Removes the receivers' sensors from Home Assistant: clears their discovery topics and their retained
reading, status and availability on the broker (mqtt.url). Without --serial: receiver.serial, else
every receiver in the state directory. Stop the daemon first: it announces its receiver again when
it connects.`,
  options: { serial: { type: "string", multiple: true } },
  async run(context) {
    if (context.config.mqtt.url === undefined) {
      throw new SharebridgeError("CONFIG_INVALID", "mqtt.url is not set: there is no broker to clear", {
        key: "mqtt.url",
        fix: "set mqtt.url (and mqtt.username) to the broker the sensors were published on",
      });
    }
    const serials = await serialsToForget(context);
    const settings = await mqttSettings(context.config, process.env);
    const cleared = await forgetReceivers(settings, serials, { log: context.log, timers: systemTimers });
    context.stdout.write(
      `Cleared ${countOf(cleared.length, "topic")} for ${serials.join(", ")}: Home Assistant removes their sensors.\n`,
    );
    return EXIT.OK;
  },
};

export default command;
