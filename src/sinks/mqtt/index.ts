/**
 * The MQTT sink and its bridge to the broker, built by the composition root only when `mqtt.url` is
 * set (src/app/mqtt.ts imports this module then): a daemon without MQTT never loads any of it, nor
 * MQTT.js.
 */
import type { Timers } from "../../clock.js";
import type { Logger } from "../../log.js";
import { type BridgeSettings, MqttBridge } from "./bridge.js";
import { MqttSink } from "./mqtt-sink.js";

export type { BridgeSettings } from "./bridge.js";
export { forgetReceivers } from "./forget.js";
export type { ShareStatus, UploaderStatus } from "./payloads.js";

export interface Mqtt {
  readonly sink: MqttSink;
  readonly bridge: MqttBridge;
}

export function createMqtt(settings: BridgeSettings, options: { log: Logger; timers: Timers }): Mqtt {
  const bridge = new MqttBridge(settings, options);
  return { sink: new MqttSink(bridge), bridge };
}
