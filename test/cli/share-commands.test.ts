/**
 * The share commands and `emulate share`, run in-process against the emulator over loopback.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { knobsFromOptions, parseAccount, parseHeldBy, parseListen } from "../../src/cli/emulate-share.js";
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

  let stateDir: string;
  /** `share login` with the test's own state directory (never the default ./state). */
  const shareLogin = (flags: string[], extra: string[]) =>
    cli(["share", "login", ...flags, "--state-dir", stateDir, ...extra]);
  const start = async (heldBy?: "silent" | "active") => {
    emulator = await startShareEmulator({
      accounts: [
        {
          name: "wearer",
          password: PASSWORD,
          ...(heldBy === undefined ? {} : { heldBy: { serial: "SM87654321", activity: heldBy } }),
        },
      ],
      listen: { us: {} },
      now: () => T,
    });
    stateDir = await mkdtemp(join(dir, "state-"));
    return ["--server", emulator.url("us"), "--username", "wearer"];
  };

  it("share login: prints the account id, assignment and monitoring; never shows the password", async () => {
    const flags = await start();
    const run = await shareLogin(flags, ["--password-file", passwordFile, "--serial", "SM12345678"]);
    expect(run.code).toBe(EXIT.OK);
    const accountId = emulator.account("wearer").accountId;
    expect(run.stdout).toBe(
      `Share login OK\n  account id   ${accountId}\n  receiver     SM12345678: not assigned; the account monitors no receiver, so the first sync assigns it\n  monitoring   not active\n`,
    );
    const json = await shareLogin(flags, ["--password-file", passwordFile, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      accountId,
      serial: null,
      assignment: null,
      slot: null,
      action: null,
      replaceReceiver: null,
      latestReadingMs: null,
      monitoringActive: false,
    });
    expect(run.stdout + run.stderr + json.stdout + json.stderr).not.toContain(PASSWORD);
    // A successful check without a daemon leaves no state behind.
    expect(await readdir(stateDir)).toEqual([]);
  });

  it.each([
    [
      "silent",
      true,
      'the account monitors another receiver, silent for 15 minutes or more; the first sync takes its place (share.replaceReceiver is "always")',
      { slot: "held-silent", action: "replace", replaceReceiver: "always", latestReadingMs: null },
    ],
    [
      "active",
      false,
      'the account monitors another receiver whose uploader posted at 2026-05-02 11:59 UTC; sync stops (share.replaceReceiver is "never": stop the other uploader, or set it to "always")',
      { slot: "held-active", action: "refuse", replaceReceiver: "never", latestReadingMs: T - 60_000 },
    ],
  ] as const)(
    "share login --serial, the slot held by a %s uploader: says exactly which case applies",
    async (activity, replace, words, json) => {
      const flags = await start(activity);
      const config = join(stateDir, "config.json");
      await writeFile(config, JSON.stringify({ share: { replaceReceiver: replace } }));
      const auth = [
        ...flags,
        "--state-dir",
        stateDir,
        "--config",
        config,
        "--password-file",
        passwordFile,
        "--serial",
        "sm12345678",
      ];
      const run = await cli(["share", "login", ...auth]);
      expect(run.code).toBe(EXIT.OK);
      expect(run.stdout).toContain(`  receiver     SM12345678: ${words}\n`);
      const asJson = await cli(["share", "login", ...auth, "--json"]);
      expect(JSON.parse(asJson.stdout)).toMatchObject({
        serial: "SM12345678",
        assignment: "NotAssigned",
        ...json,
      });
      // Nothing was changed on the account.
      expect(emulator.account("wearer").assignedSerial).toBe("SM87654321");
      expect(emulator.count("Publisher/ReplacePublisherAccountMonitoredReceiver")).toBe(0);
    },
  );

  it("share login with a wrong password: exit 4, a hint, exactly one request", async () => {
    const flags = await start();
    const run = await shareLogin(flags, ["--password-file", wrongFile]);
    expect(run.code).toBe(EXIT.SHARE_CREDENTIALS);
    expect(run.stderr).toContain("Share refused the credentials");
    expect(run.stderr).toContain("SHARE_CREDENTIALS");
    expect(run.stderr).not.toContain("not-it");
    expect(emulator.countsByOperation()).toEqual({ "General/AuthenticatePublisherAccount": 1 });
  });

  it("share login goes through the daemon's breaker: five runs with a wrong password make one request; --force makes one more, with a warning", async () => {
    const flags = await start();
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await shareLogin(flags, ["--password-file", wrongFile]));
    expect(runs.map((r) => r.code)).toEqual(Array(5).fill(EXIT.SHARE_CREDENTIALS));
    expect(emulator.countsByOperation()).toEqual({ "General/AuthenticatePublisherAccount": 1 });
    expect(emulator.account("wearer").lockedUntilMs).toBe(0);
    expect(runs[1]?.stderr).toContain("No login was attempted: Share refused these credentials earlier");
    const state = JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")) as {
      accounts: Record<string, { login: Record<string, unknown> }>;
    };
    expect(Object.values(state.accounts)[0]?.login).toMatchObject({
      state: "credentials-rejected",
      reason: "AccountPasswordInvalid",
    });
    expect(JSON.stringify(state)).not.toContain("not-it");

    const forced = await shareLogin(flags, ["--password-file", wrongFile, "--force"]);
    expect(forced.code).toBe(EXIT.SHARE_CREDENTIALS);
    expect(forced.stderr).toContain("--force: logging in despite the remembered Share refusal");
    expect(emulator.countsByOperation()).toEqual({ "General/AuthenticatePublisherAccount": 2 });

    // The right password in a changed file: the refusal no longer applies (the daemon's rule).
    const ok = await shareLogin(flags, ["--password-file", passwordFile]);
    expect(ok.code).toBe(EXIT.OK);
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

  it("parses the strictness and misbehaviour flags (share-api §18)", () => {
    expect(
      knobsFromOptions({
        latency: "150:30",
        "trend-range": "0-9",
        "serial-match": "ignore-case",
        throttle: "429:120",
        "throttle-ms": "60000",
        trickle: "5000:100",
        "login-answer": "garbage",
        "faults-with-status-200": true,
        "void-success-body": '"OK"',
        "refuse-value": ["222", "40"],
        "refuse-st": ["1700000000000"],
      }),
    ).toEqual({
      lockout: {},
      trendRange: "0-9",
      serialMatch: "ignore-case",
      faults: {
        latencyMs: 150,
        latencyJitterMs: 30,
        throttle: { status: 429, retryAfterSeconds: 120, afterMs: 0, durationMs: 60_000 },
        trickle: { intervalMs: 5000, paddingBytes: 100 },
        loginAnswer: "garbage",
        faultsWithStatus200: true,
        voidSuccessBody: '"OK"',
        refuse: { values: [222, 40], stMs: [1700000000000] },
      },
    });
    expect(knobsFromOptions({ latency: "150" })).toEqual({ lockout: {}, faults: { latencyMs: 150 } });
    expect(knobsFromOptions({ "latency-ms": "150" })).toEqual({ lockout: {}, faults: { latencyMs: 150 } });
    expect(knobsFromOptions({ throttle: "503" })).toMatchObject({
      faults: { throttle: { status: 503, retryAfterSeconds: null } },
    });
    expect(() => knobsFromOptions({ latency: "150:200" })).toThrow(/jitter must not exceed/);
    expect(() => knobsFromOptions({ latency: "150", "latency-ms": "1" })).toThrow(/not both/);
    expect(() => knobsFromOptions({ throttle: "500" })).toThrow(/429 or 503/);
    expect(() => knobsFromOptions({ latency: "fast" })).toThrow(/--latency must be MS or MS:JITTER_MS/);
    expect(() => knobsFromOptions({ "refuse-value": ["x"] })).toThrow(
      /--refuse-value must be a whole number/,
    );
    expect(parseHeldBy("alice=SM1:active")).toEqual({ name: "alice", serial: "SM1", activity: "active" });
    expect(() => parseHeldBy("alice=SM1")).toThrow(/NAME=SERIAL:silent\|active/);
  });
});
