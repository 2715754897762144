/**
 * `sharebridge mqtt forget` when it cannot do its work (the clearing itself is checked against the
 * daemon's publications in test/integration/mqtt-daemon.test.ts): a refused login and an unreachable
 * broker exit 12, naming the broker; no receiver to forget is a usage error.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { cli } from "../support/cli.js";
import { BROKER_USER, type Broker, startBroker } from "../support/mosquitto.js";

let dir: string;
let broker: Broker | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-forget-"));
});
afterEach(async () => {
  await broker?.close();
  broker = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function forget(mqtt: Record<string, unknown>, ...args: string[]) {
  const config = join(dir, "config.json");
  await writeFile(config, JSON.stringify({ stateDir: join(dir, "state"), mqtt }));
  return cli(["mqtt", "forget", "--config", config, ...args], new AbortController().signal, { env: {} });
}

describe("sharebridge mqtt forget", () => {
  it("a refused login: exit 12, MQTT_REFUSED, the broker named, no password shown", async () => {
    broker = await startBroker();
    await writeFile(join(dir, "wrong"), "wr0ng-pw\n");
    const run = await forget(
      { url: `mqtt://127.0.0.1:${broker.port}`, username: BROKER_USER, passwordFile: join(dir, "wrong") },
      "--serial",
      "SM12345678",
    );
    expect(run.code).toBe(EXIT.MQTT);
    expect(run.stderr).toContain(
      `mqtt://127.0.0.1:${broker.port}: the broker refused the login (Connection refused: Not authorized): check mqtt.username and the password [MQTT_REFUSED]`,
    );
    expect(run.stderr + run.stdout).not.toContain("wr0ng-pw");
  });

  it("an unreachable broker: exit 12, MQTT_UNAVAILABLE", async () => {
    broker = await startBroker();
    await broker.stop();
    const run = await forget({ url: `mqtt://127.0.0.1:${broker.port}` }, "--serial", "SM12345678");
    expect(run.code).toBe(EXIT.MQTT);
    expect(run.stderr).toMatch(
      new RegExp(
        `cannot reach the MQTT broker mqtt://127\\.0\\.0\\.1:${broker.port}: .*ECONNREFUSED.* \\[MQTT_UNAVAILABLE\\]`,
      ),
    );
  });

  it("no receiver named or known, and no mqtt.url: usage and configuration errors", async () => {
    const noReceiver = await forget({ url: "mqtt://127.0.0.1:1" });
    expect(noReceiver.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(noReceiver.stderr).toContain(`no receiver is known in ${join(dir, "state")}`);
    const noUrl = await forget({}, "--serial", "SM12345678");
    expect(noUrl.code).toBe(EXIT.USAGE_OR_CONFIG);
    expect(noUrl.stderr).toContain("mqtt.url is not set: there is no broker to clear");
  });
});
