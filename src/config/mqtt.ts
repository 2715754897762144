/**
 * The MQTT broker's settings from the configuration (issue 14): the address, the user name, the
 * password — from mqtt.passwordFile, else the systemd credential `mqtt-password`, else the Docker
 * secret `/run/secrets/mqtt-password`, else none — an extra certificate authority, and the client
 * id, by default one of its own per host and state directory (two connections with one client id
 * throw each other off the broker, MQTT 3.1.1 §3.1.4).
 *
 * Files are read here and never quoted in an error: a wrong path must not print a password or a key.
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { SharebridgeError } from "../errors.js";
import type { Secret } from "../share/secret.js";
import { readPasswordFile } from "../share/settings.js";
import { parseBrokerUrl } from "../sinks/mqtt/broker-url.js";
import type { ConnectionSettings } from "../sinks/mqtt/connection.js";
import type { TopicPrefixes } from "../sinks/mqtt/topics.js";
import { readSmallTextFile } from "../util/small-file.js";
import { resolveSecretFile } from "./load.js";
import type { Config } from "./schema.js";

export const MQTT_CREDENTIAL_NAME = "mqtt-password";
export const MQTT_DOCKER_SECRET_FILE = "/run/secrets/mqtt-password";
/** A CA bundle is a few kilobytes; anything much larger is the wrong file. */
const MAX_CA_FILE_BYTES = 256 * 1024;

export type MqttSettings = ConnectionSettings & TopicPrefixes;

/** Where the broker password comes from, if anywhere. */
export async function mqttPasswordFile(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  dockerSecret = MQTT_DOCKER_SECRET_FILE,
): Promise<string | undefined> {
  const found = await resolveSecretFile(
    {
      path: config.mqtt.passwordFile,
      key: "mqtt.passwordFile",
      credential: MQTT_CREDENTIAL_NAME,
      dockerSecret,
    },
    env,
  );
  return found?.path;
}

/** The PEM text of mqtt.caFile. */
export async function readCaFile(path: string): Promise<string> {
  const text = await readSmallTextFile(path, {
    name: "the MQTT certificate authority (mqtt.caFile)",
    maxBytes: MAX_CA_FILE_BYTES,
    fix: {
      notAFile: "give a PEM file with the certificate authority's certificate",
      tooLarge: "give a PEM file with the certificate authority's certificate",
      unreadable: (errno) => (errno === "ENOENT" ? "check the path" : "check the file's permissions"),
    },
  });
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new SharebridgeError("CONFIG_INVALID", `mqtt.caFile ${path} holds no PEM certificate`, {
      key: "mqtt.caFile",
      fix: "give a PEM file (-----BEGIN CERTIFICATE-----)",
    });
  }
  return text;
}

/** `sharebridge-HOST-xxxxxxxx`: the host name and 8 hex digits of the state directory's full path. */
export function defaultClientId(stateDir: string, host: string = hostname()): string {
  const name = host.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 32) || "host";
  const digest = createHash("sha256").update(resolve(stateDir)).digest("hex").slice(0, 8);
  return `sharebridge-${name}-${digest}`;
}

/** The broker settings of a configuration whose mqtt.url is set. */
export async function mqttSettings(
  config: Config,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<MqttSettings> {
  const { url, username, caFile, clientId, topicPrefix, discoveryPrefix } = config.mqtt;
  if (url === undefined) {
    throw new SharebridgeError("CONFIG_INVALID", "mqtt.url is not set", {
      key: "mqtt.url",
      fix: "set mqtt.url to the broker, e.g. mqtt://homeassistant.local",
    });
  }
  if (username === undefined && config.mqtt.passwordFile !== undefined) {
    throw new SharebridgeError("CONFIG_INVALID", "mqtt.passwordFile is set but mqtt.username is not", {
      key: "mqtt.username",
      fix: "set mqtt.username: MQTT sends a password only with a user name",
    });
  }
  // A credential or secret found without a user name is not ours to send (MQTT 3.1.1 §3.1.2.9).
  const passwordFile = username === undefined ? undefined : await mqttPasswordFile(config, env);
  const password: Secret | undefined =
    passwordFile === undefined ? undefined : await readPasswordFile(passwordFile);
  return {
    address: parseBrokerUrl(url),
    clientId: clientId ?? defaultClientId(config.stateDir),
    username,
    password,
    ca: caFile === undefined ? undefined : await readCaFile(caFile),
    topicPrefix,
    discoveryPrefix,
  };
}
