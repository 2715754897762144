/**
 * The status page's access token (http.tokenFile): read from a file like the Share password, else
 * from the systemd credential `http-token` ($CREDENTIALS_DIRECTORY, `LoadCredential=http-token:…`),
 * else from the Docker secret /run/secrets/http-token. It is never in the configuration, never logged
 * and never quoted in an error.
 *
 * At least 16 characters and no whitespace: the token is what stands between the home network (or
 * the internet, behind a port forward) and a child's glucose readings. `openssl rand -hex 16` makes
 * a good one.
 */
import { SharebridgeError } from "../errors.js";
import { readOneLineFile } from "../util/one-line-file.js";
import { resolveSecretFile } from "./load.js";
import type { Config } from "./schema.js";

export const TOKEN_CREDENTIAL_NAME = "http-token";
export const TOKEN_DOCKER_SECRET = "/run/secrets/http-token";
export const MIN_TOKEN_LENGTH = 16;

/** The token, or undefined when none is configured anywhere. Throws CONFIG_* for a bad one. */
export async function loadHttpToken(
  config: Config,
  env: Readonly<Record<string, string | undefined>> = process.env,
  dockerSecret = TOKEN_DOCKER_SECRET,
): Promise<string | undefined> {
  const source = await resolveSecretFile(
    { path: config.http.tokenFile, key: "http.tokenFile", credential: TOKEN_CREDENTIAL_NAME, dockerSecret },
    env,
  );
  if (source === undefined) return undefined;
  const token = await readOneLineFile(source.path, "token file");
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      `the token file ${source.path} must hold at least ${MIN_TOKEN_LENGTH} characters and no spaces`,
      {
        key: "http.tokenFile",
        path: source.path,
        fix: `write a new one: openssl rand -hex 16 > ${source.path}`,
      },
    );
  }
  return token;
}
