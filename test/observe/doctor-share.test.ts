/**
 * Doctor: Share account, password, one login and the receiver assignment, against the Share
 * emulator over loopback. Counts every request: a refused password costs exactly one, and a
 * refusal the daemon remembers (with nothing changed since) costs none.
 */
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/clock.js";
import { credentialsFromConfig } from "../../src/config/credentials.js";
import type { Config } from "../../src/config/schema.js";
import { type ShareEmulator, startShareEmulator } from "../../src/emulator/share/index.js";
import { silentLogger } from "../../src/log.js";
import { passwordCheck, shareAccountCheck } from "../../src/observe/doctor/share.js";
import { assignmentCheck, loginCheck } from "../../src/observe/doctor/share-login.js";
import { stateDirectoryCheck } from "../../src/observe/doctor/storage.js";
import type { DoctorFacts } from "../../src/observe/doctor/types.js";
import { DAEMON_SHARE_RETRY, ShareAccess } from "../../src/sync/share-access.js";
import { SYNC_STATE_SCHEMA } from "../../src/sync/state.js";
import { StateStore } from "../../src/sync/state-store.js";
import { runCheck, testConfig } from "./support/doctor.js";
import { type FakeSystem, fakeEnvironment, fakeSystem } from "./support/fake-system.js";

const PASSWORD = "s3cret Pa$$word!";
const SERIAL = "SM12345678";
const AUTHENTICATE = "General/AuthenticatePublisherAccount";
const LOGIN_BY_ID = "General/LoginPublisherAccountById";

describe("doctor: Share", () => {
  let emulator: ShareEmulator;
  let system: FakeSystem;
  let dir: string;
  let passwordFile: string;
  let wrongFile: string;
  let stateDir: string;

  beforeEach(async () => {
    emulator = await startShareEmulator({
      accounts: [
        { name: "alice", password: PASSWORD },
        { name: "carol", password: "carols-password" },
      ],
      listen: { us: {} },
    });
    system = await fakeSystem();
    dir = await mkdtemp(join(tmpdir(), "doctor-share-"));
    passwordFile = join(dir, "password");
    wrongFile = join(dir, "wrong");
    stateDir = join(dir, "state");
    await mkdir(stateDir);
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    await writeFile(wrongFile, "not-the-password\n", { mode: 0o600 });
  });
  afterEach(async () => {
    await emulator.close();
    await system.remove();
    await rm(dir, { recursive: true, force: true });
  });

  const shareConfig = (file = passwordFile): Config =>
    testConfig({ stateDir, share: { server: emulator.url("us"), username: "alice", passwordFile: file } });

  /** The password check, then the login check, as doctor runs them (the state file read first). */
  async function login(config: Config, facts: DoctorFacts = {}) {
    const env = fakeEnvironment({ system });
    await runCheck(stateDirectoryCheck, config, env, facts);
    const password = await runCheck(passwordCheck, config, env, facts);
    expect(password.status).toBe("ok");
    return { outcome: await runCheck(loginCheck, config, env, facts), facts };
  }

  it("the Share account: region or server, and an account name", async () => {
    const env = fakeEnvironment({ system });
    expect(await runCheck(shareAccountCheck, testConfig(), env)).toEqual({
      status: "fail",
      finding: "no Share region configured",
      fix: "set share.region (or --region) to us, ous, jp: where the account was created (ous everywhere outside the US and Japan); a wrong region answers exactly like a wrong password",
    });
    expect(await runCheck(shareAccountCheck, testConfig({ share: { region: "ous" } }), env)).toEqual({
      status: "fail",
      finding: "region ous (https://shareous1.dexcom.com), but no account name",
      fix: "set share.username (or --username) to the Share account name",
    });
    expect(
      await runCheck(
        shareAccountCheck,
        testConfig({ share: { region: "us", username: "your-dexcom-account" } }),
        env,
      ),
    ).toEqual({
      status: "fail",
      finding:
        'region us (https://share2.dexcom.com), but the account is not configured: share.username is still the example\'s "your-dexcom-account"',
      fix: "set share.username (or --username) to the Share account name",
    });
    expect(
      await runCheck(shareAccountCheck, testConfig({ share: { region: "us", username: "alice" } }), env),
    ).toEqual({
      status: "ok",
      finding: "region us (https://share2.dexcom.com), account alice",
    });
    expect(await runCheck(shareAccountCheck, shareConfig(), env)).toEqual({
      status: "ok",
      finding: `server ${emulator.url("us")}, account alice`,
    });
    const plainHttp = await runCheck(
      shareAccountCheck,
      testConfig({ share: { server: "http://example.org:80", username: "a" } }),
      env,
    );
    expect(plainHttp.status).toBe("fail");
    expect(
      (
        await runCheck(
          shareAccountCheck,
          testConfig({ share: { region: "us", server: "https://x.example" } }),
          env,
        )
      ).finding,
    ).toBe("both share.region and share.server are set");
  });

  it("the password: from the configured file, a systemd credential or a Docker secret; never shown", async () => {
    const none = await runCheck(passwordCheck, testConfig(), fakeEnvironment({ system }));
    expect(none).toEqual({
      status: "fail",
      finding: "no Share password was found",
      fix: "set share.passwordFile (or --password-file, or SHAREBRIDGE_PASSWORD_FILE), or provide it as the systemd credential share-password or the Docker secret /run/secrets/share-password",
    });
    const facts: DoctorFacts = {};
    expect(await runCheck(passwordCheck, shareConfig(), fakeEnvironment({ system }), facts)).toEqual({
      status: "ok",
      finding: `read from the share.passwordFile (${passwordFile})`,
    });
    expect(facts.password?.reveal()).toBe(PASSWORD);

    await chmod(passwordFile, 0o644);
    expect(await runCheck(passwordCheck, shareConfig(), fakeEnvironment({ system }), {})).toEqual({
      status: "warn",
      finding: `read from ${passwordFile}, which every user of this machine can read (mode -rw-r--r--)`,
      fix: `sudo chmod o-rwx ${passwordFile} (0640 keeps it readable by its group, 0600 by its owner only)`,
    });

    await writeFile(join(dir, "share-password"), PASSWORD);
    const credential = fakeEnvironment({ system, env: { CREDENTIALS_DIRECTORY: dir } });
    expect((await runCheck(passwordCheck, testConfig(), credential)).finding).toBe(
      `read from the systemd credential (${join(dir, "share-password")})`,
    );
    await mkdir(join(system.root, "run", "secrets"), { recursive: true });
    await writeFile(join(system.root, "run", "secrets", "share-password"), PASSWORD);
    expect((await runCheck(passwordCheck, testConfig(), fakeEnvironment({ system }))).finding).toBe(
      `read from the Docker secret (${join(system.root, "run/secrets/share-password")})`,
    );

    await writeFile(passwordFile, "");
    const empty = await runCheck(passwordCheck, shareConfig(), fakeEnvironment({ system }));
    expect(empty).toEqual({
      status: "fail",
      finding: `the password file ${passwordFile} is empty`,
      fix: `put the password on one line in ${passwordFile}, readable by pi (e.g. sudo chown root:pi ${passwordFile} && sudo chmod 0640 ${passwordFile})`,
    });
    expect((await runCheck(passwordCheck, shareConfig(dir), fakeEnvironment({ system }))).finding).toBe(
      `cannot read the password file ${dir} (EISDIR)`,
    );
  });

  it("one login, then the assignment: not yet assigned, this account's, another account's", async () => {
    const { outcome, facts } = await login(shareConfig());
    const account = emulator.account("alice");
    expect(outcome).toEqual({
      status: "ok",
      finding: `logged in as alice (account id ${account.accountId})`,
    });
    expect(emulator.count(AUTHENTICATE)).toBe(1);
    expect(emulator.count(LOGIN_BY_ID)).toBe(1);
    const env = fakeEnvironment({ system });
    try {
      expect(await runCheck(assignmentCheck, shareConfig(), env, facts)).toEqual({
        status: "skip",
        finding: "needs the receiver's serial number (it did not answer)",
      });
      facts.serial = SERIAL;
      expect(await runCheck(assignmentCheck, shareConfig(), env, facts)).toEqual({
        status: "warn",
        finding: `${SERIAL} is not assigned to this account yet`,
        fix: "nothing to do if the account has no other receiver: the first sync assigns it; if it monitors another one, set share.replaceReceiver to always to let sharebridge take its place",
      });
      emulator.state.assign(account, SERIAL);
      expect(await runCheck(assignmentCheck, shareConfig(), env, facts)).toEqual({
        status: "ok",
        finding: `${SERIAL} is this account's receiver`,
      });
      emulator.state.assign(emulator.account("carol"), SERIAL);
      expect(await runCheck(assignmentCheck, shareConfig(), env, facts)).toEqual({
        status: "fail",
        finding: `${SERIAL} is assigned to another Share account`,
        fix: "release the receiver from that account (log in to it, or ask its owner), then run doctor again",
      });
      // The checks never changed anything on Share.
      expect(Object.keys(emulator.countsByOperation())).toEqual([
        AUTHENTICATE,
        LOGIN_BY_ID,
        "Publisher/CheckMonitoredReceiverAssignmentStatus",
      ]);
    } finally {
      await facts.client?.close();
    }
    expect(await runCheck(assignmentCheck, shareConfig(), env, { serial: SERIAL })).toEqual({
      status: "skip",
      finding: "needs a successful Share login",
    });
  });

  it("a wrong password: exactly one login request, and the fix", async () => {
    const { outcome, facts } = await login(shareConfig(wrongFile));
    expect(emulator.count()).toBe(1);
    expect(outcome.status).toBe("fail");
    expect(outcome.finding).toMatch(/^Share refused the credentials \(\w+\); nothing was retried$/);
    expect(outcome.fix).toBe(
      "check the account name, the password and the region: an account exists in one region only, and a wrong region answers exactly like a wrong password; then run doctor again",
    );
    expect(facts.client).toBeUndefined();
    expect(JSON.stringify(outcome)).not.toContain("not-the-password");
  });

  it("respects the refusal the daemon remembers: no request until the password file changes", async () => {
    // The daemon's own path: its Share access logs in once, is refused, and persists the breaker.
    const store = await StateStore.open(stateDir, SYNC_STATE_SCHEMA);
    const access = await ShareAccess.create({
      credentials: credentialsFromConfig(shareConfig(wrongFile), DAEMON_SHARE_RETRY),
      store,
      log: silentLogger,
      clock: systemClock,
    });
    await access.client.login().catch(() => undefined);
    await access.persist();
    await access.close();
    expect(store.current.accounts[`${emulator.url("us")} alice`]?.login?.state).toBe("credentials-rejected");
    emulator.clearRequests();

    const refused = await login(shareConfig(wrongFile));
    expect(emulator.count()).toBe(0);
    expect(refused.outcome.status).toBe("fail");
    expect(refused.outcome.finding).toMatch(
      /^Share refused these credentials (just now|\d+ s ago) \(\w+\) and neither the configuration nor the password file changed since; not trying them again$/,
    );
    expect(refused.outcome.fix).toBe(
      "check the account name, the password and the region: an account exists in one region only, and a wrong region answers exactly like a wrong password; after correcting them, run doctor again or `sharebridge share login`",
    );

    // The operator fixes the password file: one login, and it works.
    await writeFile(wrongFile, `${PASSWORD}\n`);
    const fixed = await login(shareConfig(wrongFile));
    expect(fixed.outcome.status).toBe("ok");
    expect(emulator.count(AUTHENTICATE)).toBe(1);
    expect(emulator.count(LOGIN_BY_ID)).toBe(1);
    await fixed.facts.client?.close();
  });

  it("a refusal recorded without a fingerprint holds while the password file is older; a lockout holds until it ends", async () => {
    const key = `${emulator.url("us")} alice`;
    const write = (login: unknown) =>
      writeFile(
        join(stateDir, "state.json"),
        JSON.stringify({ version: 1, receivers: {}, accounts: { [key]: { login } } }),
      );
    const old = new Date(Date.now() - 3_600_000);
    await utimes(passwordFile, old, old);

    await write({
      state: "credentials-rejected",
      sinceMs: Date.now() - 60_000,
      reason: "AccountPasswordInvalid",
    });
    expect((await login(shareConfig())).outcome.status).toBe("fail");
    expect(emulator.count()).toBe(0);

    await write({
      state: "locked-out",
      sinceMs: Date.now() - 60_000,
      untilMs: Date.now() + 29 * 60_000,
      reason: "Locked",
    });
    const locked = await login(shareConfig());
    expect(emulator.count()).toBe(0);
    expect(locked.outcome).toEqual({
      status: "fail",
      finding: expect.stringMatching(
        /^Share locked the account until .+ UTC \(in 2[89] min, Locked\); no login before then$/,
      ),
      fix: "wait, and make sure the password is right meanwhile: each failed login can extend the lockout",
    });

    await write({
      state: "credentials-rejected",
      sinceMs: Date.now() - 2 * 3_600_000,
      reason: "AccountPasswordInvalid",
    });
    const changed = await login(shareConfig());
    expect(changed.outcome.status).toBe("ok");
    await changed.facts.client?.close();

    await write({
      state: "locked-out",
      sinceMs: Date.now() - 3_600_000,
      untilMs: Date.now() - 60_000,
      reason: "Locked",
    });
    const over = await login(shareConfig());
    expect(over.outcome.status).toBe("ok");
    await over.facts.client?.close();
  });

  it("Share out of reach, and nothing to log in with", async () => {
    const unreachable = testConfig({
      stateDir,
      share: { server: "http://127.0.0.1:1", username: "alice", passwordFile },
    });
    const { outcome } = await login(unreachable);
    expect(outcome.status).toBe("fail");
    expect(outcome.finding).toMatch(/^could not reach Share at http:\/\/127\.0\.0\.1:1: /);
    expect(outcome.fix).toBe(
      "check the network connection, DNS and any proxy; if Share itself is down, try again later",
    );
    expect(await runCheck(loginCheck, shareConfig(), fakeEnvironment({ system }), {})).toEqual({
      status: "skip",
      finding: "needs the Share account and the password above",
    });
  }, 30_000);
});
