/**
 * Doctor: the Share account as configured — region or server, account name, and the password
 * (DESIGN.md §8: "the password from a file, $CREDENTIALS_DIRECTORY or a Docker secret"). Nothing
 * here talks to Share; the login is share-login.ts. The password is read to prove it is readable
 * and kept for the login; it never appears in a finding.
 */
import { stat } from "node:fs/promises";
import { DOCKER_SECRET_FILE, noPasswordError, resolvePasswordFile } from "../../config/load.js";
import { EXAMPLE_USERNAME } from "../../config/schema.js";
import { describeError } from "../../errors.js";
import { SHARE_REGIONS } from "../../share/regions.js";
import { readPasswordFile } from "../../share/settings.js";
import { configuredOrigin } from "../auth-state.js";
import { modeText } from "./device.js";
import { systemPath } from "./environment.js";
import { type Check, fail, ok, warn } from "./types.js";

/** Permission bit: others may read. */
const OTHERS_READ = 0o004;

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
    if (username === EXAMPLE_USERNAME) {
      return fail(
        `${where}, but the account is not configured: share.username is still the example's "${EXAMPLE_USERNAME}"`,
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
    let mode: number | undefined;
    try {
      facts.password = await readPasswordFile(found.path);
      facts.passwordFile = found.path;
      mode = (await stat(found.path)).mode;
    } catch (error) {
      return fail(
        describeError(error),
        `put the password on one line in ${found.path}, readable by ${env.user().name} (e.g. sudo chown root:${env.user().name} ${found.path} && sudo chmod 0640 ${found.path})`,
      );
    }
    // Only a file the operator made: systemd credentials are 0400 already, and Docker mounts
    // secrets world-readable inside the container, where no other user lives.
    if (found.source === "share.passwordFile" && mode !== undefined && (mode & OTHERS_READ) !== 0) {
      return warn(
        `read from ${found.path}, which every user of this machine can read (mode ${modeText(mode)})`,
        `sudo chmod o-rwx ${found.path} (0640 keeps it readable by its group, 0600 by its owner only)`,
      );
    }
    return ok(`read from the ${found.source} (${found.path})`);
  },
};
