/**
 * Doctor: the Share account as configured — region or server, account name, and the password
 * (DESIGN.md §8: "the password from a file, $CREDENTIALS_DIRECTORY or a Docker secret"). Nothing
 * here talks to Share; the login is share-login.ts. The password is read to prove it is readable
 * and kept for the login; it never appears in a finding.
 */
import { DOCKER_SECRET_FILE, noPasswordError, resolvePasswordFile } from "../../config/load.js";
import { describeError } from "../../errors.js";
import { SHARE_REGIONS } from "../../share/regions.js";
import { readPasswordFile } from "../../share/settings.js";
import { configuredOrigin } from "../auth-state.js";
import { systemPath } from "./environment.js";
import { type Check, fail, ok } from "./types.js";

const REGION_FIX = `set share.region (or --region) to ${SHARE_REGIONS.join(", ")}: where the account was created (ous everywhere outside the US and Japan); a wrong region answers exactly like a wrong password`;

export const shareAccountCheck: Check = {
  id: "share-account",
  label: "Share account",
  async run({ config }) {
    const { region, server, username } = config.share;
    if (region === undefined && server === undefined) return fail("no Share region configured", REGION_FIX);
    if (region !== undefined && server !== undefined) {
      return fail(
        "both share.region and share.server are set",
        "keep one: the region, or a server URL for the emulator",
      );
    }
    let origin: string | undefined;
    try {
      origin = configuredOrigin(config);
    } catch (error) {
      return fail(
        describeError(error),
        "give share.server as scheme, host and port, e.g. http://127.0.0.1:8080",
      );
    }
    const where = region === undefined ? `server ${origin}` : `region ${region} (${origin})`;
    if (username === undefined) {
      return fail(
        `${where}, but no account name`,
        "set share.username (or --username) to the Share account name",
      );
    }
    return ok(`${where}, account ${username}`);
  },
};

export const passwordCheck: Check = {
  id: "password",
  label: "password",
  async run({ config, env, facts }) {
    const found = await resolvePasswordFile(config, env.env, systemPath(env, DOCKER_SECRET_FILE));
    if (found === undefined) {
      const missing = noPasswordError();
      return fail("no Share password was found", String(missing.context["fix"]));
    }
    try {
      facts.password = await readPasswordFile(found.path);
      facts.passwordFile = found.path;
    } catch (error) {
      return fail(
        describeError(error),
        `put the password on one line in ${found.path}, readable by ${env.user().name} (e.g. sudo chown root:${env.user().name} ${found.path} && sudo chmod 0640 ${found.path})`,
      );
    }
    return ok(`read from the ${found.source} (${found.path})`);
  },
};
