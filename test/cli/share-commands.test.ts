/**
 * The share commands and `emulate share`, run in-process against the emulator over loopback.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { knobsFromOptions, parseAccount, parseListen } from "../../src/cli/emulate-share.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { runCli } from "../../src/cli/index.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { ShareClient } from "../../src/share/client.js";
import { createShareSettings } from "../../src/share/settings.js";
import { cli } from "../support/cli.js";

const PASSWORD = "Pa$$ w0rd:with:colons";
const T = Date.UTC(2026, 4, 2, 12, 0, 0);

describe("share commands", () => {
  let dir: string;
  let passwordFile: string;
  let wrongFile: string;
  let emulator: ShareEmulator;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "share-cli-"));
    passwordFile = join(dir, "password");
    wrongFile = join(dir, "wrong");
    await writeFile(passwordFile, `${PASSWORD}\n`);
    await writeFile(wrongFile, "not-it\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await emulator?.close();
  });

  const start = async () => {
    emulator = await startShareEmulator({
      accounts: [{ name: "wearer", password: PASSWORD }],
      listen: { us: {} },
      now: () => T,
    });
    return ["--server", emulator.url("us"), "--username", "wearer"];
  };

  it("share login: prints the account id, assignment and monitoring; never shows the password", async () => {
    const flags = await start();
    const run = await cli([
      "share",
      "login",
      ...flags,
      "--password-file",
      passwordFile,
      "--serial",
      "SM12345678",
    ]);
    expect(run.code).toBe(EXIT.OK);
    const accountId = emulator.account("wearer").accountId;
    expect(run.stdout).toBe(
      `Share login OK\n  account id   ${accountId}\n  receiver     SM12345678: NotAssigned\n  monitoring   not active\n`,
    );
    const json = await cli(["share", "login", ...flags, "--password-file", passwordFile, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      accountId,
      serial: null,
      assignment: null,
      monitoringActive: false,
    });
    expect(run.stdout + run.stderr + json.stdout + json.stderr).not.toContain(PASSWORD);
  });

  it("share login with a wrong password: exit 4, a hint, exactly one request", async () => {
    const flags = await start();
    const run = await cli(["share", "login", ...flags, "--password-file", wrongFile]);
    expect(run.code).toBe(EXIT.SHARE_CREDENTIALS);
    expect(run.stderr).toContain("Share refused the credentials");
    expect(run.stderr).toContain("SHARE_CREDENTIALS");
    expect(run.stderr).not.toContain("not-it");
    expect(emulator.countsByOperation()).toEqual({ "General/AuthenticatePublisherAccount": 1 });
  });

  it("share readings: text on the wearer's clock, or JSON lines", async () => {
    const flags = await start();
    const client = new ShareClient({
      settings: createShareSettings({ server: emulator.url("us"), username: "wearer", password: PASSWORD }),
    });
    const t = T / 1000;
    await client.postEgvs("SM12345678", [
      { stSeconds: t - 300, dtSeconds: t - 300 - 4 * 3600, taSeconds: 0, glucose: 98, trend: 5 },
      { stSeconds: t, dtSeconds: t - 4 * 3600, taSeconds: 0, glucose: 95, trend: 6 },
    ]);
    await client.close();
    const run = await cli([
      "share",
      "readings",
      ...flags,
      "--password-file",
      passwordFile,
      "--minutes",
      "30",
    ]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe(
      "2026-05-02 08:00:00 -04:00   95 mg/dL  SingleDown\n2026-05-02 07:55:00 -04:00   98 mg/dL  FortyFiveDown\n",
    );
    const json = await cli([
      "share",
      "readings",
      ...flags,
      "--password-file",
      passwordFile,
      "--max",
      "1",
      "--json",
    ]);
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      {
        time: "2026-05-02T12:00:00.000Z",
        wtMs: T,
        glucose: 95,
        trend: 6,
        trendName: "SingleDown",
        dtOffsetMinutes: -240,
      },
    ]);
  });

  it("share followers invite, list, remove", async () => {
    const flags = await start();
    const auth = [...flags, "--password-file", passwordFile];
    const invite = await cli(["share", "followers", "invite", "Mum", "mum@example.org", ...auth]);
    expect(invite.code).toBe(EXIT.OK);
    const id = emulator.account("wearer").contacts[0]?.contactId ?? "";
    expect(invite.stdout).toBe(`invited Mum <mum@example.org>: follower id ${id}\n`);
    const list = await cli(["share", "followers", "list", ...auth]);
    expect(list.stdout).toBe(`${id}  InviteWaiting   Mum\n`);
    const listJson = await cli(["share", "followers", "list", ...auth, "--json"]);
    expect(JSON.parse(listJson.stdout)).toMatchObject({
      id,
      name: "Mum",
      state: "InviteWaiting",
      accepted: false,
    });
    expect((await cli(["share", "followers", "remove", id, ...auth])).stdout).toBe(`removed ${id}\n`);
    expect((await cli(["share", "followers", "remove", id, ...auth])).stdout).toBe(
      `${id} was already removed\n`,
    );
    const empty = await cli(["share", "followers", "list", ...auth]);
    expect(empty.stdout).toBe("");
    expect(empty.stderr).toContain("No followers.\n");
  });

  it.each([
    [
      ["share", "login", "--username", "u", "--password-file", "f"],
      "share.region: is not set; set share.region to us, ous or jp (or --region, or SHAREBRIDGE_SHARE_REGION), or share.server",
    ],
    [
      ["share", "login", "--region", "us", "--server", "http://127.0.0.1:1", "--username", "u"],
      "command line: share.region: excludes share.server, which is also given; keep exactly one of share.region and share.server",
    ],
    [
      ["share", "login", "--region", "us", "--password-file", "f"],
      "share.username: is not set; set share.username (or --username, or SHAREBRIDGE_SHARE_USERNAME)",
    ],
    [
      ["share", "login", "--region", "us", "--username", "u"],
      "share.passwordFile: no Share password was found; set share.passwordFile (or --password-file, or SHAREBRIDGE_PASSWORD_FILE)",
    ],
    [
      ["share", "readings", "--region", "us", "--username", "u", "--password-file", "f", "--minutes", "0"],
      "--minutes must be",
    ],
    [
      ["share", "followers", "invite", "Mum", "--region", "us", "--username", "u", "--password-file", "f"],
      "NAME and EMAIL",
    ],
    [
      ["share", "followers", "remove", "--region", "us", "--username", "u", "--password-file", "f"],
      "follower ID",
    ],
    [["share", "login", "--config", "x.json"], "configuration file"],
  ])("usage errors: %j", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(run.stderr).toContain(message);
  });

  it("a plain-http server beyond loopback and a missing password file are refused before any request", async () => {
    const remote = await cli([
      "share",
      "login",
      "--server",
      "http://192.0.2.1:80",
      "--username",
      "u",
      "--password-file",
      passwordFile,
    ]);
    expect(remote.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(remote.stderr).toContain(
      "command line: share.server: plain http is only allowed for a loopback host (localhost, 127.0.0.0/8, ::1); use https for 192.0.2.1",
    );
    const missing = await cli([
      "share",
      "login",
      "--region",
      "us",
      "--username",
      "u",
      "--password-file",
      join(dir, "nope"),
    ]);
    expect(missing.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(missing.stderr).toContain("CONFIG_UNREADABLE");
  });
});

describe("emulate share", () => {
  it("serves the given regions until interrupted, and third-party-style requests work", async () => {
    const controller = new AbortController();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let printed = "";
    stdout.on("data", (chunk: Buffer) => {
      printed += chunk.toString("utf8");
    });
    stderr.resume();
    const running = runCli(
      [
        "emulate",
        "share",
        "--listen",
        "127.0.0.1:0",
        "--listen",
        "ous=127.0.0.1:0",
        "--account",
        "alice:se:cret:ous",
        "--alias",
        "alice=alice@example.org",
        "--date-style",
        "legacy",
      ],
      { stdout, stderr, signal: controller.signal },
    );
    for (let i = 0; i < 250 && printed.split("\n").length < 3; i++)
      await new Promise((r) => setTimeout(r, 20));
    const lines = printed.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^listening us http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(/^listening ous http:\/\/127\.0\.0\.1:\d+$/);
    const ous = lines[1]?.split(" ")[2] ?? "";
    const us = lines[0]?.split(" ")[2] ?? "";

    // pydexcom's way: the e-mail identity, two steps, a read with a {} body.
    const post = async (base: string, path: string, body: unknown) => {
      const response = await fetch(`${base}/ShareWebServices/Services/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "*/*" },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as unknown };
    };
    const appId = "d89443d2-327c-4a6f-89e5-496bbb0317db";
    const wrongRegion = await post(us, "General/AuthenticatePublisherAccount", {
      accountName: "alice@example.org",
      password: "se:cret",
      applicationId: appId,
    });
    expect(wrongRegion).toMatchObject({ status: 500, json: { Code: "AccountPasswordInvalid" } });
    const accountId = (
      await post(ous, "General/AuthenticatePublisherAccount", {
        accountName: "alice@example.org",
        password: "se:cret",
        applicationId: appId,
      })
    ).json;
    const sessionId = (
      await post(ous, "General/LoginPublisherAccountById", {
        accountId,
        password: "se:cret",
        applicationId: appId,
      })
    ).json;
    const read = await post(
      ous,
      `Publisher/ReadPublisherLatestGlucoseValues?sessionId=${String(sessionId)}&minutes=1440&maxCount=1`,
      {},
    );
    expect(read).toEqual({ status: 200, json: [] });

    controller.abort();
    expect(await running).toBe(EXIT.OK);
    await expect(fetch(`${ous}/ShareWebServices/Services/General/SystemUtcTime`)).rejects.toThrow();
  });

  it("parses listen addresses, accounts and knobs", () => {
    expect(parseListen("127.0.0.1:8080")).toEqual(["us", { host: "127.0.0.1", port: 8080 }]);
    expect(parseListen("jp=[::1]:9")).toEqual(["jp", { host: "::1", port: 9 }]);
    expect(() => parseListen("eu=127.0.0.1:1")).toThrow(/region/);
    expect(() => parseListen("127.0.0.1")).toThrow(/HOST:PORT/);
    expect(parseAccount("bob:pa:ss")).toEqual({ name: "bob", password: "pa:ss", region: "us" });
    expect(parseAccount("bob:pa:ss:jp")).toEqual({ name: "bob", password: "pa:ss", region: "jp" });
    expect(() => parseAccount("bob")).toThrow(/NAME:PASSWORD/);
    expect(
      knobsFromOptions({
        "any-region": true,
        "lockout-attempts": "3",
        "lockout-spelling": "Exceeded",
        "ta-sign": "-1",
        "trend-style": "number",
        "outage-after-ms": "1000",
        "outage-ms": "5000",
        "session-not-valid-rate": "0.25",
        "fixed-dt-offset-minutes": "-240",
        "require-follower": true,
      }),
    ).toEqual({
      regionSeparation: false,
      lockout: { attempts: 3, codeSpelling: "Exceeded" },
      taSign: -1,
      trendStyle: "number",
      requireFollowerForRead: true,
      fixedDtOffsetMinutes: -240,
      faults: { outage: { afterMs: 1000, durationMs: 5000 }, sessionNotValidRate: 0.25 },
    });
    expect(() => knobsFromOptions({ "date-style": "old" })).toThrow(
      /--date-style must be one of modern, legacy/,
    );
    expect(() => knobsFromOptions({ "session-not-valid-rate": "2" })).toThrow(/probability/);
    expect(() => knobsFromOptions({ "outage-after-ms": "5" })).toThrow(/--outage-ms/);
  });
});
