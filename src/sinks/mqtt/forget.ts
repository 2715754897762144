/**
 * `sharebridge mqtt forget`: removes what sharebridge published for receivers from the broker —
 * each sensor's discovery config (Home Assistant then deletes the entities and the device) and the
 * retained reading, status and availability — by publishing an empty retained message at each topic
 * (MQTT 3.1.1 §3.3.1.3). One connection, no last will, no retry: it either reaches the broker or
 * says why not.
 */
import type { Timers } from "../../clock.js";
import { SharebridgeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { type ConnectionSettings, describeBroker, MqttConnection } from "./connection.js";
import { retainedTopics } from "./discovery.js";
import { receiverTopics, type TopicPrefixes } from "./topics.js";

export interface ForgetOptions {
  readonly log: Logger;
  readonly timers: Timers;
}

/** Clears every retained topic of the receivers `serials`; resolves with the topics cleared. */
export async function forgetReceivers(
  settings: ConnectionSettings & TopicPrefixes,
  serials: readonly string[],
  options: ForgetOptions,
): Promise<string[]> {
  const topics = serials.flatMap((serial) => retainedTopics(receiverTopics(settings, serial)));
  let connected!: () => void;
  let failed!: (error: SharebridgeError) => void;
  const ready = new Promise<void>((resolve, reject) => {
    connected = resolve;
    failed = reject;
  });
  const broker = describeBroker(settings.address);
  const connection = new MqttConnection(
    { ...settings, retryMinMs: 60_000, retryMaxMs: 60_000 },
    {
      onOnline: () => connected(),
      onFailure: (reason, refused) =>
        failed(
          refused
            ? new SharebridgeError("MQTT_REFUSED", `${broker}: ${reason}`, { broker })
            : new SharebridgeError("MQTT_UNAVAILABLE", `cannot reach the MQTT broker ${broker}: ${reason}`, {
                broker,
              }),
        ),
      log: options.log,
      timers: options.timers,
    },
  );
  connection.start();
  try {
    await ready;
    const cleared: string[] = [];
    for (const topic of topics) {
      if (!(await connection.publish(topic, "", true))) {
        throw new SharebridgeError("MQTT_UNAVAILABLE", `the MQTT broker ${broker} did not acknowledge`, {
          broker,
          topic,
          cleared: cleared.length,
        });
      }
      cleared.push(topic);
    }
    return cleared;
  } finally {
    await connection.close();
  }
}
