/**
 * What a command that talks to Share needs before it starts: an endpoint, an account name and a
 * password. Every missing one is named at once, with the flag and the variable that set it; when no
 * configuration file was found, the message says where one was looked for and how to create it.
 *
 * Checked before anything is created, so a run that cannot work leaves nothing behind (no state
 * directory).
 */
import { fileURLToPath } from "node:url";
import { SharebridgeError } from "../errors.js";
import { type ConfigProblem, problemsError } from "./layers.js";
import { DOCKER_SECRET_FILE, type LoadedConfig, resolvePasswordFile } from "./load.js";
import { declaredKey, EXAMPLE_USERNAME } from "./schema.js";

/** The example configuration shipped with the package (config/ is in package.json's files). */
export const EXAMPLE_CONFIG_FILE = fileURLToPath(
  new URL("../../config/sharebridge.example.json", import.meta.url),
);

/** "set share.username (--username, or SHAREBRIDGE_SHARE_USERNAME)". */
function howToSet(path: string, what = ""): string {
  const spec = declaredKey(path)?.spec;
  const ways = [spec?.flag === undefined ? undefined : `--${spec.flag.name}`, spec?.env].filter(
    (w) => w !== undefined,
  );
  return `set ${path}${what}${ways.length === 0 ? "" : ` (or ${ways.join(", or ")})`}`;
}

/** The problems of a configuration for Share: empty when it can log in. */
export async function shareAccountProblems(
  loaded: LoadedConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
  dockerSecret = DOCKER_SECRET_FILE,
): Promise<ConfigProblem[]> {
  const { share } = loaded.config;
  const problems: ConfigProblem[] = [];
  if (share.region === undefined && share.server === undefined) {
    problems.push({
      key: "share.region",
      message: "is not set",
      fix: `${howToSet("share.region", " to us, ous or jp")}, or share.server`,
    });
  }
  if (share.username === undefined) {
    problems.push({ key: "share.username", message: "is not set", fix: howToSet("share.username") });
  } else if (share.username === EXAMPLE_USERNAME) {
    problems.push({
      key: "share.username",
      message: "is still the example's placeholder",
      fix: "set it to the Share account name",
    });
  }
  if ((await resolvePasswordFile(loaded.config, env, dockerSecret)) === undefined) {
    problems.push({
      key: "share.passwordFile",
      message: "no Share password was found",
      fix: `${howToSet("share.passwordFile")}, or provide the systemd credential share-password or the Docker secret ${dockerSecret}`,
    });
  }
  return problems;
}

/** The words to add when no configuration file was found. */
export function noFileHint(loaded: LoadedConfig): string {
  return `no configuration file was found at ${loaded.defaultFile}: create it from ${EXAMPLE_CONFIG_FILE} (sudo install -D -m 0644 ${EXAMPLE_CONFIG_FILE} ${loaded.defaultFile}, then edit it), or name one with --config FILE or SHAREBRIDGE_CONFIG`;
}

/** Throws one CONFIG_INVALID naming everything a Share command lacks; resolves when nothing is missing. */
export async function requireShareAccount(
  loaded: LoadedConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
  dockerSecret = DOCKER_SECRET_FILE,
): Promise<void> {
  const problems = await shareAccountProblems(loaded, env, dockerSecret);
  if (problems.length === 0) return;
  const error = problemsError(problems, loaded.file);
  if (loaded.file !== undefined) throw error;
  const hint = noFileHint(loaded);
  throw new SharebridgeError("CONFIG_INVALID", `${error.detail}\n${hint}`, {
    ...error.context,
    defaultFile: loaded.defaultFile,
    example: EXAMPLE_CONFIG_FILE,
  });
}
