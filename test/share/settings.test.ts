/** Settings validation, server URLs and password files. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { Secret } from "../../src/share/secret.js";
import { parseServerUrl } from "../../src/share/server-url.js";
import {
  createShareSettings,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  readPasswordFile,
  type ShareSettingsInput,
  shareSettingsFromSources,
} from "../../src/share/settings.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isSharebridgeError(error) ? error.code : "not a SharebridgeError";
  }
}

describe("server URLs", () => {
  it.each([
    ["https://share.example.org", "https://share.example.org"],
    ["https://share.example.org:8443/", "https://share.example.org:8443"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["http://127.1.2.3", "http://127.1.2.3"],
    ["http://localhost:9000", "http://localhost:9000"],
    ["http://[::1]:9000", "http://[::1]:9000"],
  ])("accepts %s", (text, origin) => {
    expect(parseServerUrl(text)).toBe(origin);
  });

  it("never repeats credentials put in the URL", () => {
    try {
      parseServerUrl("ftp://alice:hunter2@share.example.org");
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain("hunter2");
      expect(JSON.stringify((error as { context: unknown }).context)).toBe(
        '{"url":"ftp://<credentials>@share.example.org"}',
      );
    }
  });

  it.each([
    ["http://192.168.1.10:8080", /loopback/],
    ["http://share.example.org", /loopback/],
    ["http://128.0.0.1", /loopback/],
    ["ftp://127.0.0.1", /https/],
    ["https://u:p@share.example.org", /user name/],
    ["https://share.example.org/ShareWebServices/Services/", /client adds it/],
    ["https://share.example.org/base", /scheme, host and port only/],
    ["https://share.example.org/?x=1", /query/],
    ["not a url", /not a URL/],
    ["", /empty/],
  ])("refuses %s", (text, message) => {
    expect(() => parseServerUrl(text)).toThrow(message);
    expect(codeOf(() => parseServerUrl(text))).toBe("SHARE_URL_INVALID");
  });
});

describe("createShareSettings", () => {
  it("maps regions to hosts and application ids (share-api §1.1, §1.2)", () => {
    const us = createShareSettings({ region: "us", username: "u", password: "p" });
    const ous = createShareSettings({ region: "ous", username: "u", password: "p" });
    const jp = createShareSettings({ region: "jp", username: "u", password: "p" });
    expect([us.origin, us.applicationId]).toEqual([
      "https://share2.dexcom.com",
      "d89443d2-327c-4a6f-89e5-496bbb0317db",
    ]);
    expect([ous.origin, ous.applicationId]).toEqual([
      "https://shareous1.dexcom.com",
      "d89443d2-327c-4a6f-89e5-496bbb0317db",
    ]);
    expect([jp.origin, jp.applicationId]).toEqual([
      "https://share.dexcom.jp",
      "d8665ade-9673-4e27-9ff6-92db4ce13d13",
    ]);
    expect(us.timeouts).toEqual(DEFAULT_TIMEOUTS);
    expect(us.retry).toEqual(DEFAULT_RETRY);
    expect(us.lockoutMs).toBe(30 * 60_000);
    expect(us.replaceReceiver).toBe("auto");
    expect(us.requestDeadlineMs).toBe(60_000);
  });

  it.each([
    [undefined, "auto"],
    ["auto", "auto"],
    ["always", "always"],
    ["never", "never"],
    [true, "always"],
    [false, "never"],
  ] as const)("replaceReceiver %s is %s (share-api §18.3)", (value, setting) => {
    expect(
      createShareSettings({ region: "us", username: "u", password: "p", replaceReceiver: value })
        .replaceReceiver,
    ).toBe(setting);
  });

  it("refuses other replaceReceiver values and deadlines outside 1 s .. 1 h, naming the key", () => {
    const base = { region: "us", username: "u", password: "p" } as const;
    expect(() => createShareSettings({ ...base, replaceReceiver: "sometimes" as "auto" })).toThrow(
      /share.replaceReceiver must be one of auto, always, never/,
    );
    expect(() => createShareSettings({ ...base, requestDeadlineMs: 999 })).toThrow(/share.requestDeadlineMs/);
    expect(() => createShareSettings({ ...base, requestDeadlineMs: 3_600_001 })).toThrow(
      /share.requestDeadlineMs/,
    );
    expect(createShareSettings({ ...base, requestDeadlineMs: 5_000 }).requestDeadlineMs).toBe(5_000);
  });

  it("share.applicationId overrides the region's (share-api §18.9)", () => {
    const jp = createShareSettings({
      region: "jp",
      username: "u",
      password: "p",
      applicationId: "D89443D2-327C-4A6F-89E5-496BBB0317DB",
    });
    expect(jp.applicationId).toBe("d89443d2-327c-4a6f-89e5-496bbb0317db");
    expect(() =>
      createShareSettings({ region: "us", username: "u", password: "p", applicationId: "x" }),
    ).toThrow(/share.applicationId must be a UUID/);
  });

  it.each([
    [{ username: "u", password: "p" }, /exactly one/],
    [{ region: "us", server: "https://x.org", username: "u", password: "p" }, /exactly one/],
    [{ region: "us", password: "p" }, /share.username is required/],
    [{ region: "us", username: "u", password: "" }, /password/],
    [{ region: "us", username: "u", password: "p", timeouts: { headersMs: 5 } }, /share.timeouts.headersMs/],
    [{ region: "us", username: "u", password: "p", retry: { retries: 21 } }, /share.retry.retries/],
    [
      { region: "us", username: "u", password: "p", retry: { minDelayMs: 10, maxDelayMs: 5 } },
      /share.retry.maxDelayMs/,
    ],
    [{ region: "us", username: "u", password: "p", applicationId: "nope" }, /share.applicationId/],
  ] as [ShareSettingsInput, RegExp][])("refuses %o", (input, message) => {
    expect(() => createShareSettings(input)).toThrow(message);
    expect(codeOf(() => createShareSettings(input))).toBe("CONFIG_INVALID");
  });

  it("never shows the password", () => {
    const settings = createShareSettings({ region: "us", username: "u", password: "hunter2" });
    expect(JSON.stringify(settings)).not.toContain("hunter2");
    expect(inspect(settings, { depth: 5 })).not.toContain("hunter2");
    expect(String(settings.password)).toBe("[redacted]");
    expect(settings.password.reveal()).toBe("hunter2");
    expect(
      createShareSettings({ region: "us", username: "u", password: new Secret("s") }).password.reveal(),
    ).toBe("s");
  });
});

describe("password files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sharebridge-pw-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  it.each([
    ["one trailing newline", "p@$$w0rd\n", "p@$$w0rd"],
    ["a CRLF", "p@$$w0rd\r\n", "p@$$w0rd"],
    ["no newline", "p@$$w0rd", "p@$$w0rd"],
    ["surrounding spaces, kept", " spaced \n", " spaced "],
  ])("reads %s", async (name, content, expected) => {
    expect((await readPasswordFile(await file(name, content))).reveal()).toBe(expected);
  });

  it.each([
    ["empty", "", /is empty/],
    ["only a newline", "\n", /is empty/],
    ["two lines", "a\nb\n", /more than one line/],
    ["huge", Buffer.alloc(5000, 0x61), /larger than 4096 bytes/],
  ])("refuses a file that is %s", async (name, content, message) => {
    await expect(readPasswordFile(await file(`bad-${name}`, content))).rejects.toThrow(message);
  });

  it("a missing file is CONFIG_UNREADABLE and names the file, not its content", async () => {
    const missing = join(dir, "missing");
    await expect(readPasswordFile(missing)).rejects.toMatchObject({
      code: "CONFIG_UNREADABLE",
      context: { path: missing, errno: "ENOENT" },
    });
  });

  it("shareSettingsFromSources maps the flags", async () => {
    const settings = await shareSettingsFromSources({
      server: "http://127.0.0.1:9",
      username: "wearer",
      passwordFile: await file("good", "secret\n"),
    });
    expect([settings.region, settings.origin, settings.username, settings.password.reveal()]).toEqual([
      "custom",
      "http://127.0.0.1:9",
      "wearer",
      "secret",
    ]);
    await expect(shareSettingsFromSources({ region: "us", username: "u" })).rejects.toThrow(
      /--password-file/,
    );
  });
});
