/**
 * The packaged defaults (the Docker image's /usr/share/sharebridge/defaults.json) sit below the
 * configuration file: the image's device, stateDir and http.listen hold until the mounted file says
 * otherwise, and the environment still overrides both.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";

const IMAGE_DEFAULTS = {
  device: "/dev/dexcom",
  stateDir: "/var/lib/sharebridge",
  http: { listen: "127.0.0.1:9477" },
};

let dir: string;
let packagedDefaultsFile: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-packaged-"));
  packagedDefaultsFile = join(dir, "defaults.json");
  await writeFile(packagedDefaultsFile, JSON.stringify(IMAGE_DEFAULTS));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(document: unknown): Promise<string> {
  const path = join(dir, "config.json");
  await writeFile(path, JSON.stringify(document));
  return path;
}

describe("packaged defaults", () => {
  it("hold when the configuration file does not set the key", async () => {
    const configPath = await configFile({ share: { region: "us", username: "carer" } });
    const { config } = await loadConfig({ configPath, env: {}, packagedDefaultsFile });
    expect([config.device, config.stateDir, config.http.listen]).toEqual([
      "/dev/dexcom",
      "/var/lib/sharebridge",
      { host: "127.0.0.1", port: 9477 },
    ]);
  });

  it("yield to the configuration file, which yields to the environment", async () => {
    const configPath = await configFile({
      device: "tcp://127.0.0.1:7373",
      http: { listen: "127.0.0.1:9999" },
    });
    const fromFile = await loadConfig({ configPath, env: {}, packagedDefaultsFile });
    expect([fromFile.config.device, fromFile.config.http.listen]).toEqual([
      "tcp://127.0.0.1:7373",
      { host: "127.0.0.1", port: 9999 },
    ]);
    const fromEnv = await loadConfig({
      configPath,
      env: { SHAREBRIDGE_DEVICE: "/dev/ttyACM0", SHAREBRIDGE_HTTP_LISTEN: "9000" },
      packagedDefaultsFile,
    });
    expect([fromEnv.config.device, fromEnv.config.http.listen]).toEqual([
      "/dev/ttyACM0",
      { host: "127.0.0.1", port: 9000 },
    ]);
  });

  it("are validated like the file, and never quoted", async () => {
    await writeFile(packagedDefaultsFile, '{ "device": "auto", hunter2 }');
    await expect(
      loadConfig({ env: {}, packagedDefaultsFile, defaultConfigFile: join(dir, "none") }),
    ).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: `${packagedDefaultsFile} is not valid JSON: line 1, column 21: expected a property name in double quotes [CONFIG_INVALID]`,
    });
  });

  it("are optional: without the file, the program's own defaults", async () => {
    const { config } = await loadConfig({
      env: {},
      packagedDefaultsFile: join(dir, "absent.json"),
      defaultConfigFile: join(dir, "none"),
    });
    expect([config.device, config.stateDir, config.http.listen]).toEqual(["auto", "./state", null]);
  });
});
