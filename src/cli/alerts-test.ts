/**
 * `sharebridge alerts test`: sends one test message to alerts.webhook, in alerts.format, and says
 * what the webhook answered. One attempt (with the daemon's 10 s limit): exit 0 when it took the
 * message, 11 when not (the message names the host and the HTTP status or socket error, never the
 * URL, which may hold a secret), 2 when no webhook is configured.
 */
import { systemTimers } from "../clock.js";
import { SharebridgeError } from "../errors.js";
import { WebhookSender } from "../observe/alerts/webhook.js";
import type { Command } from "./command.js";
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";

const command: Command = {
  usage: `[options]

${CONFIG_FLAGS_USAGE}`,
  options: { ...CONFIG_FLAG_OPTIONS },
  async run(context) {
    const { alerts } = context.config;
    if (alerts.webhook === undefined) {
      throw new SharebridgeError(
        "CONFIG_INVALID",
        "alerts.webhook is not set: there is nowhere to send a test",
        {
          key: "alerts.webhook",
          fix: "set alerts.webhook (or SHAREBRIDGE_ALERTS_WEBHOOK) to a URL, e.g. https://ntfy.sh/your-secret-topic",
        },
      );
    }
    const host = new URL(alerts.webhook).host;
    const sender = new WebhookSender({
      url: alerts.webhook,
      format: alerts.format,
      timers: systemTimers,
      log: context.log,
    });
    const status = await sender.deliverOnce({
      condition: "test",
      state: "test",
      title: "sharebridge: test alert",
      message: "This is a test from sharebridge: alerts reach this device.",
      atMs: context.clock.now(),
    });
    context.stdout.write(`sent a test alert to ${host} (${alerts.format}): HTTP ${status}\n`);
    return EXIT.OK;
  },
};

export default command;
