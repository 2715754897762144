/** `sharebridge share followers list`: the account's followers and their invitation state (share-api §8). */
import type { Command } from "./command.js";
import { SHARE_FLAG_OPTIONS, SHARE_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { withShareClient } from "./share-options.js";

const command: Command = {
  usage: `(--region R | --server URL) --username NAME --password-file FILE [--json]

${SHARE_FLAGS_USAGE}
  --json                    one JSON object per line`,
  requiresShareAccount: true,
  options: { ...SHARE_FLAG_OPTIONS, json: { type: "boolean" } },
  async run(ctx) {
    return withShareClient(ctx, async (client) => {
      const followers = await client.listFollowers(ctx.signal);
      for (const f of followers) {
        if (ctx.values["json"] === true) {
          ctx.stdout.write(
            `${JSON.stringify({
              id: f.contactId,
              name: f.contactName,
              state: f.stateName,
              accepted: f.accepted,
              subscriptionId: f.subscriptionId ?? null,
              inviteExpires:
                f.inviteExpiresMs === undefined ? null : new Date(f.inviteExpiresMs).toISOString(),
            })}\n`,
          );
        } else {
          ctx.stdout.write(`${f.contactId}  ${f.stateName.padEnd(14)}  ${f.contactName}\n`);
        }
      }
      if (followers.length === 0 && ctx.values["json"] !== true) ctx.stderr.write("No followers.\n");
      return EXIT.OK;
    });
  },
};

export default command;
