/**
 * `sharebridge share followers invite NAME EMAIL`: creates the contact and sends the invitation;
 * if the invitation fails the contact is deleted again (share-api §8.1).
 */
import { SharebridgeError } from "../errors.js";
import type { Command } from "./command.js";
import { SHARE_FLAG_OPTIONS, SHARE_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { stringOption } from "./option-values.js";
import { withShareClient } from "./share-options.js";

const command: Command = {
  usage: `NAME EMAIL (--region R | --server URL) --username NAME --password-file FILE [--display-name TEXT]

${SHARE_FLAGS_USAGE}
  --display-name TEXT       the name the follower sees for you (default: the account name)`,
  requiresShareAccount: true,
  options: { ...SHARE_FLAG_OPTIONS, "display-name": { type: "string" } },
  allowPositionals: true,
  async run(ctx) {
    const [name, email, ...extra] = ctx.positionals;
    if (name === undefined || email === undefined || extra.length > 0) {
      throw new SharebridgeError("USAGE", "give the follower's NAME and EMAIL", { option: "NAME" });
    }
    const displayName = stringOption(ctx.values, "display-name");
    return withShareClient(ctx, async (client) => {
      const invitation = await client.inviteFollower(name, email, displayName, ctx.signal);
      ctx.stdout.write(`invited ${name} <${email}>: follower id ${invitation.contactId}\n`);
      return EXIT.OK;
    });
  },
};

export default command;
