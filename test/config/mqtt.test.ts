/** The broker settings from the configuration (src/config/mqtt.ts) and the status from the daemon's snapshot (src/app/mqtt.ts). */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mqttFromConfig, uploaderStatus } from "../../src/app/mqtt.js";
import { configFromDocument } from "../../src/config/load.js";
import { defaultClientId, mqttPasswordFile, mqttSettings } from "../../src/config/mqtt.js";
import { healthySnapshot } from "../observe/support/snapshot.js";
import { logSink } from "../share/support/log-sink.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-mqtt-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("mqtt settings", () => {
  it("reads the password and CA files; the client id is the host's and the state directory's", async () => {
    await writeFile(join(dir, "pw"), "s3cret\n");
    await writeFile(join(dir, "ca.pem"), PEM);
    const config = configFromDocument({
      stateDir: "/var/lib/sharebridge-ada",
      mqtt: {
        url: "mqtts://ha.lan",
        username: "bridge",
        passwordFile: join(dir, "pw"),
        caFile: join(dir, "ca.pem"),
      },
    });
    const settings = await mqttSettings(config, {});
    expect({ ...settings, password: settings.password?.reveal() }).toEqual({
      address: { tls: true, host: "ha.lan", port: 8883 },
      clientId: defaultClientId("/var/lib/sharebridge-ada"),
      username: "bridge",
      password: "s3cret",
      ca: PEM,
      topicPrefix: "sharebridge",
      discoveryPrefix: "homeassistant",
    });
    expect(defaultClientId("/var/lib/sharebridge-ada", "pi.local")).toMatch(
      /^sharebridge-pi-local-[0-9a-f]{8}$/,
    );
    expect(defaultClientId("/var/lib/sharebridge-ben", "pi.local")).not.toBe(
      defaultClientId("/var/lib/sharebridge-ada", "pi.local"),
    );
    expect(JSON.stringify(settings)).not.toContain("s3cret");
  });

  it("the password: the file, else the systemd credential, else the Docker secret; none without a user name", async () => {
    const credentials = join(dir, "credentials");
    await writeFile(join(dir, "secret"), "x\n");
    const withUser = configFromDocument({ mqtt: { url: "mqtt://ha", username: "bridge" } });
    expect(await mqttPasswordFile(withUser, {}, join(dir, "secret"))).toBe(join(dir, "secret"));
    expect(await mqttPasswordFile(withUser, {}, join(dir, "absent"))).toBeUndefined();
    await rm(join(dir, "secret"));
    await mkdir(credentials);
    await writeFile(join(credentials, "mqtt-password"), "y\n");
    expect(
      await mqttPasswordFile(withUser, { CREDENTIALS_DIRECTORY: credentials }, join(dir, "absent")),
    ).toBe(join(credentials, "mqtt-password"));
    const anonymous = configFromDocument({ mqtt: { url: "mqtt://ha" } });
    expect((await mqttSettings(anonymous, { CREDENTIALS_DIRECTORY: credentials })).password).toBeUndefined();
    await expect(
      mqttSettings(configFromDocument({ mqtt: { url: "mqtt://ha", passwordFile: join(dir, "pw") } }), {}),
    ).rejects.toThrow("mqtt.passwordFile is set but mqtt.username is not [CONFIG_INVALID]");
  });

  it("a CA file that is missing or holds no certificate is named, never quoted", async () => {
    await writeFile(join(dir, "notes.txt"), "the broker password is hunter2\n");
    const config = (caFile: string) => configFromDocument({ mqtt: { url: "mqtts://ha", caFile } });
    await expect(mqttSettings(config(join(dir, "missing.pem")), {})).rejects.toThrow(
      `cannot read the MQTT certificate authority (mqtt.caFile) file ${join(dir, "missing.pem")} (ENOENT) [CONFIG_UNREADABLE]`,
    );
    const refused = mqttSettings(config(join(dir, "notes.txt")), {});
    await expect(refused).rejects.toThrow(
      `mqtt.caFile ${join(dir, "notes.txt")} holds no PEM certificate [CONFIG_INVALID]`,
    );
    await expect(refused).rejects.not.toThrow(/hunter2/);
  });
});

describe("MQTT in the running system", () => {
  it("an unreadable password file turns MQTT off, loudly, and nothing else", async () => {
    const sink = logSink();
    const config = configFromDocument({
      mqtt: { url: "mqtt://ha", username: "bridge", passwordFile: join(dir, "missing") },
    });
    expect(await mqttFromConfig(config, { log: sink.log, env: {} })).toBeUndefined();
    expect(sink.lines().map((l) => [l["level"], l["msg"]])).toEqual([
      [50, "MQTT is off: its settings cannot be used; uploads to Share go on"],
    ]);
    expect(sink.text()).toContain(`cannot read the password file ${join(dir, "missing")} (ENOENT)`);
  });
});

describe("the status published from the daemon's snapshot", () => {
  const snapshot = healthySnapshot({
    backlog: 3,
    lastPostUtcMs: 800,
    battery: { serial: "SM12345678", percent: 64, state: "charging", atMs: 700 },
  });

  it.each([
    ["idle", undefined, "ok"],
    ["syncing", undefined, "ok"],
    ["starting", undefined, "starting"],
    ["waiting-for-share", "Share (503)", "waiting-for-share"],
    ["waiting-for-receiver", "a receiver", "waiting-for-receiver"],
    ["waiting-for-operator", "the operator", "waiting-for-operator"],
  ] as const)("phase %s → %s", (phase, waitingFor, shareStatus) => {
    expect(uploaderStatus({ ...snapshot, phase, waitingFor })).toEqual({
      serial: "SM12345678",
      shareStatus,
      waitingFor,
      readingsWaiting: 3,
      lastPostUtcMs: 800,
      batteryPercent: 64,
    });
  });
});
