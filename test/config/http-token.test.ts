/**
 * The status page's access token (src/config/http-token.ts): from http.tokenFile, else the systemd
 * credential, else the Docker secret; a weak token is refused without quoting it.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadHttpToken } from "../../src/config/http-token.js";
import { configFromDocument } from "../../src/config/load.js";

describe("the access token", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-token-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const TOKEN = "0123456789abcdef0123456789abcdef";
  const missingSecret = () => join(dir, "no-docker-secret");

  it("is read from http.tokenFile, its line ending dropped", async () => {
    const file = join(dir, "token");
    await writeFile(file, `${TOKEN}\n`);
    await chmod(file, 0o600);
    const config = configFromDocument({ http: { tokenFile: file } });
    expect(await loadHttpToken(config, {}, missingSecret())).toBe(TOKEN);
  });

  it("else from the systemd credential http-token, else from the Docker secret, else none", async () => {
    const credentials = join(dir, "credentials");
    await mkdir(credentials);
    await writeFile(join(credentials, "http-token"), `${TOKEN}\n`);
    const secret = join(dir, "docker-secret");
    await writeFile(secret, "fedcba9876543210fedcba9876543210\n");
    const config = configFromDocument({});
    expect(await loadHttpToken(config, { CREDENTIALS_DIRECTORY: credentials }, secret)).toBe(TOKEN);
    expect(await loadHttpToken(config, {}, secret)).toBe("fedcba9876543210fedcba9876543210");
    expect(await loadHttpToken(config, {}, missingSecret())).toBeUndefined();
  });

  it("shorter than 16 characters or with a space: CONFIG_INVALID naming the file and the fix, never the token", async () => {
    for (const weak of ["short-token", "a token with spaces in it"]) {
      const file = join(dir, "token");
      await writeFile(file, `${weak}\n`);
      const error = await loadHttpToken(
        configFromDocument({ http: { tokenFile: file } }),
        {},
        missingSecret(),
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "CONFIG_INVALID",
        message: `the token file ${file} must hold at least 16 characters and no spaces [CONFIG_INVALID]`,
        context: {
          key: "http.tokenFile",
          path: file,
          fix: `write a new one: openssl rand -hex 16 > ${file}`,
        },
      });
      expect(JSON.stringify(error) + String(error)).not.toContain(weak);
    }
  });
});
