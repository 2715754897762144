/**
 * A real MQTT broker for the tests: Debian's mosquitto, started on free loopback ports with its own
 * configuration in a temporary folder — a password file made with mosquitto_passwd (no anonymous
 * access), a plain listener and a TLS listener whose certificate is signed, at test time, by a CA
 * made with openssl for this broker alone. No persistence: a restarted broker has forgotten every
 * retained message, so what a client finds after a restart was published again.
 *
 * And a client to look at it: MQTT.js, subscribing and collecting what arrives.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import mqtt, { type MqttClient } from "mqtt";

const run = promisify(execFile);

export const MOSQUITTO = "/usr/sbin/mosquitto";
export const BROKER_USER = "bridge";
export const BROKER_PASSWORD = "br0ker-s3cret!";

export interface Broker {
  readonly dir: string;
  /** The plain listener. */
  readonly port: number;
  /** The TLS listener (certificate for localhost and 127.0.0.1). */
  readonly tlsPort: number;
  /** The CA that signed the broker's certificate, PEM file. */
  readonly caFile: string;
  /** A file holding BROKER_PASSWORD, for mqtt.passwordFile. */
  readonly passwordFile: string;
  /** Starts it again on the same ports (after `stop`). */
  start(): Promise<void>;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: the broker keeps its sockets but answers nothing. */
  pause(): void;
  resume(): void;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
  /** mosquitto's own log, for failure messages. */
  log(): string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function makeCertificates(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=sharebridge test CA",
  ]);
  await run("openssl", [
    "req",
    ...ec,
    "-keyout",
    join(dir, "server.key"),
    "-out",
    join(dir, "server.csr"),
    "-subj",
    "/CN=localhost",
  ]);
  await writeFile(
    join(dir, "ext.cnf"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    join(dir, "server.csr"),
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-out",
    join(dir, "server.crt"),
    "-days",
    "2",
    "-extfile",
    join(dir, "ext.cnf"),
  ]);
}

export async function startBroker(): Promise<Broker> {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-mosquitto-"));
  await run("mosquitto_passwd", ["-b", "-c", join(dir, "passwd"), BROKER_USER, BROKER_PASSWORD]);
  await makeCertificates(dir);
  const passwordFile = join(dir, "bridge.password");
  await writeFile(passwordFile, `${BROKER_PASSWORD}\n`, { mode: 0o600 });
  const port = await freePort();
  const tlsPort = await freePort();
  const config = join(dir, "mosquitto.conf");
  await writeFile(
    config,
    [
      "per_listener_settings false",
      "allow_anonymous false",
      `password_file ${join(dir, "passwd")}`,
      "persistence false",
      // Started as root, mosquitto would drop to the user "mosquitto", who cannot read this folder.
      `user ${userInfo().username}`,
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      `listener ${port} 127.0.0.1`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${join(dir, "ca.crt")}`,
      `certfile ${join(dir, "server.crt")}`,
      `keyfile ${join(dir, "server.key")}`,
      "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  let output = "";
  const broker: Broker = {
    dir,
    port,
    tlsPort,
    caFile: join(dir, "ca.crt"),
    passwordFile,
    async start() {
      const started = spawn(MOSQUITTO, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
      child = started;
      started.stderr?.setEncoding("utf8").on("data", (text: string) => {
        output = (output + text).slice(-8000);
      });
      const deadline = performance.now() + 10_000;
      while (!(await accepts(port)) || !(await accepts(tlsPort))) {
        if (started.exitCode !== null || performance.now() > deadline) {
          started.kill("SIGKILL");
          throw new Error(`mosquitto did not start: ${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGCONT");
      running.kill("SIGTERM");
      const timer = setTimeout(() => running.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async close() {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
  await broker.start();
  return broker;
}

export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
}

export interface Watcher {
  readonly messages: Received[];
  /** The last payload on `topic`, if any. */
  last(topic: string): string | undefined;
  close(): Promise<void>;
}

/** Subscribes to `filters` on the broker's plain listener and collects everything that arrives. */
export async function watch(broker: Broker, filters: readonly string[]): Promise<Watcher> {
  const client: MqttClient = await mqtt.connectAsync({
    host: "127.0.0.1",
    port: broker.port,
    username: BROKER_USER,
    password: BROKER_PASSWORD,
    clientId: `watcher-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 0,
    clean: true,
  });
  const messages: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString("utf8"), retain: packet.retain });
  });
  await client.subscribeAsync([...filters], { qos: 1 });
  return {
    messages,
    last: (topic) => messages.filter((m) => m.topic === topic).at(-1)?.payload,
    close: async () => {
      await client.endAsync(true);
    },
  };
}
