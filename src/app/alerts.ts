/**
 * Alerts for the running daemon (alerts.webhook; observe/alerts/): the monitor reads the daemon's
 * snapshot and hears Share's outcomes, the sender delivers on its own queue. Nothing here can slow
 * or stop the sync: the daemon never waits for either.
 */
import { systemTimers, type Timers } from "../clock.js";
import { ALERT_MEMORY_FILE, ALERT_MEMORY_SCHEMA, AlertMonitor } from "../observe/alerts/alert-monitor.js";
import { WebhookSender } from "../observe/alerts/webhook.js";
import type { Daemon } from "../sync/daemon.js";
import { StateStore } from "../sync/state-store.js";
import type { System } from "./system.js";

export interface RunningAlerts {
  readonly monitor: AlertMonitor;
  readonly sender: WebhookSender;
  stop(): Promise<void>;
}

/** Starts the alerts when a webhook is configured; undefined otherwise. */
export async function startAlerts(
  system: System,
  daemon: Daemon,
  options: { readonly timers?: Timers } = {},
): Promise<RunningAlerts | undefined> {
  const { config } = system;
  const url = config.alerts.webhook;
  if (url === undefined) return undefined;
  const log = system.log.child({ component: "alerts" });
  const timers = options.timers ?? systemTimers;
  const sender = new WebhookSender({ url, format: config.alerts.format, timers, log });
  const memory = await StateStore.open(config.stateDir, ALERT_MEMORY_SCHEMA, {
    name: ALERT_MEMORY_FILE,
    log,
  });
  const monitor = new AlertMonitor({
    snapshot: () => daemon.snapshot(),
    send: (message) => sender.enqueue(message),
    afterMinutes: config.alerts.afterMinutes,
    timers,
    log,
    memory,
  });
  const unsubscribe = system.outcomes.subscribe(monitor.noteOutcome);
  monitor.start();
  log.info({ host: new URL(url).host, format: config.alerts.format }, "alerts on");
  return {
    monitor,
    sender,
    async stop() {
      unsubscribe();
      await monitor.stop();
      sender.close();
    },
  };
}
