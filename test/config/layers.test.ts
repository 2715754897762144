/** Validation of each layer against the declaration: every problem at once, aliases, synonyms, exclusions. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configFromDocument, loadConfig } from "../../src/config/load.js";
import { EXAMPLE_CONFIG_FILE, requireShareAccount } from "../../src/config/require.js";
import { isSharebridgeError, type SharebridgeError } from "../../src/errors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-layers-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<SharebridgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSharebridgeError(error)).toBe(true);
  return error as SharebridgeError;
}

function refusal(work: () => unknown): SharebridgeError {
  try {
    work();
  } catch (error) {
    expect(isSharebridgeError(error)).toBe(true);
    return error as SharebridgeError;
  }
  throw new RangeError("expected a refusal");
}

const none = { defaultConfigFile: join(tmpdir(), "sharebridge-no-such-dir", "config.json"), env: {} };

describe("configuration layers", () => {
  it("names every problem of a file at once", async () => {
    const path = join(dir, "config.json");
    await writeFile(
      path,
      JSON.stringify({ devise: "auto", backfillHours: -1, clock: { mode: "utc" }, log: 3 }),
    );
    const error = await failure(loadConfig({ ...none, configPath: path }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.detail).toBe(
      `${path}: 4 problems:\n` +
        '  - devise: unknown key; did you mean "device"?\n' +
        "  - backfillHours: must be a whole number from 0 to 2160, got -1; give hours as a whole number from 0 to 2160\n" +
        "  - clock.mode: must be one of corrected, raw; use one of corrected|raw\n" +
        "  - log: must be an object, got 3; write it as { … }",
    );
    expect(error.context).toEqual({
      key: "devise",
      fix: 'did you mean "device"?',
      problems: ["devise", "backfillHours", "clock.mode", "log"],
    });
  });

  it("never quotes a text value it refuses", () => {
    const error = refusal(() => configFromDocument({ clock: { mode: "hunter2" }, share: { username: 7 } }));
    expect(error.message).not.toContain("hunter2");
    expect(error.detail).toContain("share.username: must be a non-empty string, got 7");
  });

  it("keeps accepting readingIntervalS, but not together with its new name", () => {
    expect(configFromDocument({ readingIntervalS: 30 }).readingIntervalSeconds).toBe(30);
    expect(
      refusal(() => configFromDocument({ readingIntervalS: 30, readingIntervalSeconds: 60 })).detail,
    ).toBe(
      "configuration: readingIntervalS: is the former name of readingIntervalSeconds, which is also given; keep only readingIntervalSeconds",
    );
  });

  it("reads share.replaceReceiver true/false as always/never, from the file and the environment", async () => {
    expect(configFromDocument({ share: { replaceReceiver: true } }).share.replaceReceiver).toBe("always");
    expect(configFromDocument({ share: { replaceReceiver: false } }).share.replaceReceiver).toBe("never");
    const env = { SHAREBRIDGE_SHARE_REPLACE_RECEIVER: "true" };
    expect((await loadConfig({ ...none, env })).config.share.replaceReceiver).toBe("always");
  });

  it("takes clock.assumeSynchronized and the other keys from their variables", async () => {
    const { config } = await loadConfig({
      ...none,
      env: {
        SHAREBRIDGE_CLOCK_ASSUME_SYNCHRONIZED: "true",
        SHAREBRIDGE_CLOCK_MODE: "raw",
        SHAREBRIDGE_READING_INTERVAL_SECONDS: "60",
        SHAREBRIDGE_BACKFILL_HOURS: "48",
        SHAREBRIDGE_LOG_LEVEL: "debug",
        SHAREBRIDGE_HTTP_LISTEN: "9477",
        SHAREBRIDGE_SHARE_APPLICATION_ID: "D89443D2-327C-4A6F-89E5-496BBB0317DB",
      },
    });
    expect(config.clock).toEqual({ mode: "raw", assumeSynchronized: true });
    expect([config.readingIntervalSeconds, config.backfillHours, config.log.level]).toEqual([
      60,
      48,
      "debug",
    ]);
    expect(config.http.listen).toEqual({ host: "127.0.0.1", port: 9477 });
    expect(config.share.applicationId).toBe("D89443D2-327C-4A6F-89E5-496BBB0317DB");
    const bad = await failure(
      loadConfig({ ...none, env: { SHAREBRIDGE_CLOCK_ASSUME_SYNCHRONIZED: "maybe" } }),
    );
    expect(bad.detail).toBe(
      "environment: clock.assumeSynchronized: must be true or false, got a string; write true or false",
    );
  });

  it("refuses share.region and share.server in one layer; a higher layer's one replaces a lower one's other", async () => {
    expect(
      refusal(() => configFromDocument({ share: { region: "us", server: "https://x.example" } })).detail,
    ).toBe(
      "configuration: share.region: excludes share.server, which is also given; keep exactly one of share.region and share.server",
    );
    const path = join(dir, "config.json");
    await writeFile(path, JSON.stringify({ share: { region: "ous" } }));
    const { config } = await loadConfig({
      ...none,
      configPath: path,
      env: { SHAREBRIDGE_SHARE_SERVER: "http://127.0.0.1:8080" },
    });
    expect([config.share.region, config.share.server]).toEqual([undefined, "http://127.0.0.1:8080"]);
  });

  it("validates share.server and share.applicationId where they are configured", () => {
    expect(refusal(() => configFromDocument({ share: { server: "http://192.0.2.1" } })).detail).toBe(
      "configuration: share.server: plain http is only allowed for a loopback host (localhost, 127.0.0.0/8, ::1); use https for 192.0.2.1; give scheme, host and port, e.g. http://127.0.0.1:8080",
    );
    expect(refusal(() => configFromDocument({ share: { applicationId: "nope" } })).detail).toBe(
      "configuration: share.applicationId: must be a UUID (8-4-4-4-12 hex digits); give a UUID such as d89443d2-327c-4a6f-89e5-496bbb0317db, or leave the key out",
    );
    expect(refusal(() => configFromDocument({ share: { username: "u\u0007" } })).detail).toBe(
      "configuration: share.username: holds a control character; give the Share account name",
    );
  });

  it("a Share command without a configuration file names what is missing, the file looked for and how to create it", async () => {
    const loaded = await loadConfig(none);
    const error = await failure(requireShareAccount(loaded, {}, join(dir, "no-secret")));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.detail).toBe(
      "3 problems:\n" +
        "  - share.region: is not set; set share.region to us, ous or jp (or --region, or SHAREBRIDGE_SHARE_REGION), or share.server\n" +
        "  - share.username: is not set; set share.username (or --username, or SHAREBRIDGE_SHARE_USERNAME)\n" +
        `  - share.passwordFile: no Share password was found; set share.passwordFile (or --password-file, or SHAREBRIDGE_PASSWORD_FILE), or provide the systemd credential share-password or the Docker secret ${join(dir, "no-secret")}\n` +
        `no configuration file was found at ${none.defaultConfigFile}: create it from ${EXAMPLE_CONFIG_FILE} (sudo install -D -m 0644 ${EXAMPLE_CONFIG_FILE} ${none.defaultConfigFile}, then edit it), or name one with --config FILE or SHAREBRIDGE_CONFIG`,
    );
    expect(EXAMPLE_CONFIG_FILE.endsWith("/config/sharebridge.example.json")).toBe(true);
  });

  it("treats the example's account name as not configured", async () => {
    const path = join(dir, "config.json");
    await writeFile(path, JSON.stringify({ share: { region: "us", username: "your-dexcom-account" } }));
    const loaded = await loadConfig({ ...none, configPath: path });
    const error = await failure(
      requireShareAccount(loaded, { SHAREBRIDGE_PASSWORD_FILE: "x" }, join(dir, "s")),
    );
    expect(error.detail).toBe(
      `${path}: 2 problems:\n` +
        "  - share.username: is still the example's placeholder; set it to the Share account name\n" +
        `  - share.passwordFile: no Share password was found; set share.passwordFile (or --password-file, or SHAREBRIDGE_PASSWORD_FILE), or provide the systemd credential share-password or the Docker secret ${join(dir, "s")}`,
    );
  });
});

describe("the configuration file", () => {
  it("describes a syntax error by line and column, never quoting the file (a password file given as --config)", async () => {
    const path = join(dir, "share-password");
    await writeFile(path, "hunter2\n", { mode: 0o600 });
    const error = await failure(loadConfig({ ...none, configPath: path }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe(
      `${path} is not valid JSON: line 1, column 1: expected a value [CONFIG_INVALID]`,
    );
    expect(JSON.stringify(error.context)).not.toContain("hunter2");
    const trailing = join(dir, "trailing.json");
    await writeFile(trailing, '{\n  "device": "auto",\n}\n');
    expect((await failure(loadConfig({ ...none, configPath: trailing }))).detail).toBe(
      `${trailing} is not valid JSON: line 3, column 1: expected a property name in double quotes`,
    );
  });

  it("accepts a byte-order mark, and refuses what is not a regular file", async () => {
    const path = join(dir, "bom.json");
    await writeFile(path, '\uFEFF{ "backfillHours": 2 }');
    expect((await loadConfig({ ...none, configPath: path })).config.backfillHours).toBe(2);
    const error = await failure(loadConfig({ ...none, configPath: dir }));
    expect([error.code, error.detail]).toEqual([
      "CONFIG_UNREADABLE",
      `the configuration ${dir} is not a regular file`,
    ]);
  });
});
