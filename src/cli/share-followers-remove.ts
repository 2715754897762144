/** `sharebridge share followers remove ID`: deletes a follower (its contact) by the id `list` shows. */
import { SharebridgeError } from "../errors.js";
import type { Command } from "./command.js";
import { SHARE_FLAG_OPTIONS, SHARE_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { withShareClient } from "./share-options.js";

const command: Command = {
  usage: `ID (--region R | --server URL) --username NAME --password-file FILE

${SHARE_FLAGS_USAGE}`,
  requiresShareAccount: true,
  options: { ...SHARE_FLAG_OPTIONS },
  allowPositionals: true,
  async run(ctx) {
    const [id, ...extra] = ctx.positionals;
    if (id === undefined || extra.length > 0) {
      throw new SharebridgeError("USAGE", "give the follower ID shown by `share followers list`", {
        option: "ID",
      });
    }
    return withShareClient(ctx, async (client) => {
      const removed = await client.removeFollower(id, ctx.signal);
      ctx.stdout.write(removed ? `removed ${id}\n` : `${id} was already removed\n`);
      return EXIT.OK;
    });
  },
};

export default command;
