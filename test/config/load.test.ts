import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, resolvePasswordFile } from "../../src/config/load.js";
import { isSharebridgeError } from "../../src/errors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(document: unknown): Promise<string> {
  const path = join(dir, "config.json");
  await writeFile(path, typeof document === "string" ? document : JSON.stringify(document));
  return path;
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isSharebridgeError(error)) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

const none = { defaultConfigFile: "/nonexistent/config.json", env: {} };

describe("configuration", () => {
  it("has documented defaults when nothing is given", async () => {
    const { config, file: used } = await loadConfig(none);
    expect(used).toBeUndefined();
    expect(config).toEqual({
      device: "auto",
      stateDir: "./state",
      readingIntervalSeconds: 300,
      backfillHours: 24,
      clock: { mode: "corrected", assumeSynchronized: false },
      share: {
        region: undefined,
        server: undefined,
        username: undefined,
        passwordFile: undefined,
        replaceReceiver: "auto",
        requestDeadlineSeconds: 60,
        applicationId: undefined,
      },
      display: { units: "mg/dL" },
      archive: { retentionDays: 90 },
      alerts: { format: "ntfy", afterMinutes: 20 },
      http: { listen: null },
      receiver: { serial: undefined },
      mqtt: {
        url: undefined,
        username: undefined,
        passwordFile: undefined,
        caFile: undefined,
        clientId: undefined,
        topicPrefix: "sharebridge",
        discoveryPrefix: "homeassistant",
      },
      log: { level: "info" },
    });
  });

  it("layers file < environment < flags, key by key", async () => {
    const path = await file({
      device: "/dev/ttyACM0",
      backfillHours: 48,
      share: { region: "ous", username: "file-user", passwordFile: "/etc/pw" },
      http: { listen: "127.0.0.1:9477" },
    });
    const { config } = await loadConfig({
      configPath: path,
      env: {
        SHAREBRIDGE_DEVICE: "tcp://10.0.0.2:3333",
        SHAREBRIDGE_SHARE_USERNAME: "env-user",
        SHAREBRIDGE_HTTP_LISTEN: "0.0.0.0:9477",
        STATE_DIRECTORY: "/var/lib/sharebridge",
      },
      flags: { share: { server: "http://127.0.0.1:8080" }, readingIntervalSeconds: 5 },
    });
    expect(config.device).toBe("tcp://10.0.0.2:3333");
    expect(config.backfillHours).toBe(48);
    expect(config.readingIntervalSeconds).toBe(5);
    expect(config.stateDir).toBe("/var/lib/sharebridge");
    // --server replaces the file's region: exactly one of the two is in force.
    expect(config.share).toEqual({
      region: undefined,
      server: "http://127.0.0.1:8080",
      username: "env-user",
      passwordFile: "/etc/pw",
      replaceReceiver: "auto",
      requestDeadlineSeconds: 60,
      applicationId: undefined,
    });
    expect(config.http.listen).toEqual({ host: "0.0.0.0", port: 9477 });
  });

  it("reads $SHAREBRIDGE_CONFIG and the default file", async () => {
    const path = await file({ logs: 1 });
    expect((await failure(loadConfig({ env: { SHAREBRIDGE_CONFIG: path } }))).message).toContain(
      `${path}: logs: unknown key`,
    );
    const fallback = join(dir, "default.json");
    await writeFile(fallback, JSON.stringify({ backfillHours: 2 }));
    const { config, file: used } = await loadConfig({ env: {}, defaultConfigFile: fallback });
    expect(used).toBe(fallback);
    expect(config.backfillHours).toBe(2);
  });

  it.each([
    [{ devise: "auto" }, 'devise: unknown key; did you mean "device"?'],
    [{ share: { pasword: "x" } }, 'share.pasword: unknown key; did you mean "share.passwordFile"?'],
    [{ share: { password: "hunter2" } }, "share.password: passwords are not kept in the configuration"],
    [{ readingIntervalSeconds: 0 }, "readingIntervalSeconds: must be a whole number from 1 to 3600, got 0"],
    [{ backfillHours: 24.5 }, "backfillHours: must be a whole number from 0 to 2160, got 24.5"],
    [{ clock: { mode: "utc" } }, "clock.mode: must be one of corrected, raw"],
    [{ share: { region: "eu" } }, "share.region: must be one of us, ous, jp"],
    [{ share: { replaceReceiver: "yes" } }, "share.replaceReceiver: must be one of auto, always, never"],
    [{ http: { listen: 9477 } }, "http.listen: must be a non-empty string"],
    [[1, 2], "(configuration): must be an object, got an array"],
  ])("refuses %j, naming the key and the fix", async (document, message) => {
    const error = await failure(loadConfig({ ...none, configPath: await file(document) }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain(message);
    expect(error.message).not.toContain("hunter2");
  });

  it("refuses invalid JSON, a missing file and invalid environment values", async () => {
    const broken = await failure(loadConfig({ ...none, configPath: await file('{ "device": "auto", }') }));
    expect(broken.code).toBe("CONFIG_INVALID");
    expect(broken.message).toContain("is not valid JSON");
    const missing = await failure(loadConfig({ ...none, configPath: join(dir, "nope.json") }));
    expect(missing.code).toBe("CONFIG_UNREADABLE");
    const env = await failure(loadConfig({ ...none, env: { SHAREBRIDGE_SHARE_REGION: "mars" } }));
    expect(env.message).toContain("environment: share.region");
    const flags = await failure(loadConfig({ ...none, flags: { readingIntervalSeconds: 99999 } }));
    expect(flags.message).toContain("command line: readingIntervalSeconds");
  });

  it("finds the password in the file named, the systemd credential, or the Docker secret", async () => {
    const { config } = await loadConfig(none);
    const credentials = join(dir, "credentials");
    await mkdir(credentials);
    const secret = join(dir, "secret");
    expect(await resolvePasswordFile(config, {}, secret)).toBeUndefined();
    await writeFile(secret, "pw\n");
    expect(await resolvePasswordFile(config, {}, secret)).toEqual({ path: secret, source: "Docker secret" });
    await writeFile(join(credentials, "share-password"), "pw\n");
    expect(await resolvePasswordFile(config, { CREDENTIALS_DIRECTORY: credentials }, secret)).toEqual({
      path: join(credentials, "share-password"),
      source: "systemd credential",
    });
    const named = { ...config, share: { ...config.share, passwordFile: "/etc/sharebridge/password" } };
    expect(await resolvePasswordFile(named, { CREDENTIALS_DIRECTORY: credentials }, secret)).toEqual({
      path: "/etc/sharebridge/password",
      source: "share.passwordFile",
    });
  });
});
