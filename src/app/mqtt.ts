/**
 * MQTT for Home Assistant in the running system (issue 14): built only when mqtt.url is set, and
 * then loaded lazily (the sink's module, and MQTT.js at the first connection), so that a Pi without
 * MQTT pays nothing for it. The bridge publishes the daemon's snapshot as the uploader's status.
 */
import { systemTimers, type Timers } from "../clock.js";
import { type MqttSettings, mqttSettings } from "../config/mqtt.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { Mqtt, ShareStatus, UploaderStatus } from "../sinks/mqtt/index.js";
import type { DaemonSnapshot } from "../sync/daemon-status.js";
import { packageVersion } from "../util/version.js";

export type { Mqtt } from "../sinks/mqtt/index.js";

/**
 * The sink and its bridge for `config`, or undefined without mqtt.url — and undefined too, with an
 * error logged, when its password or CA file cannot be read: Home Assistant is a dashboard, and a
 * broken one must not stop the uploads to Share.
 */
export async function mqttFromConfig(
  config: Config,
  options: {
    readonly log: Logger;
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly timers?: Timers;
  },
): Promise<Mqtt | undefined> {
  if (config.mqtt.url === undefined) return undefined;
  let settings: MqttSettings;
  try {
    settings = await mqttSettings(config, options.env);
  } catch (error) {
    options.log.error({ err: error }, "MQTT is off: its settings cannot be used; uploads to Share go on");
    return undefined;
  }
  const { createMqtt } = await import("../sinks/mqtt/index.js");
  return createMqtt(
    { ...settings, version: await packageVersion() },
    { log: options.log, timers: options.timers ?? systemTimers },
  );
}

/** The daemon's phase as the Share status sensor shows it: cycles that succeed are "ok". */
function shareStatus(snapshot: DaemonSnapshot): ShareStatus {
  switch (snapshot.phase) {
    case "idle":
    case "syncing":
      return "ok";
    default:
      return snapshot.phase;
  }
}

/** What the status topic says, from the daemon's snapshot (daemon-status.ts). */
export function uploaderStatus(snapshot: DaemonSnapshot): UploaderStatus {
  return {
    serial: snapshot.serial,
    shareStatus: shareStatus(snapshot),
    waitingFor: snapshot.waitingFor,
    readingsWaiting: snapshot.backlog,
    lastPostUtcMs: snapshot.lastPostUtcMs,
    batteryPercent: snapshot.battery?.percent ?? undefined,
  };
}
