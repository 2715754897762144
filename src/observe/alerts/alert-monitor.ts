/**
 * Watches the daemon's facts and sends an alert when a condition (conditions.ts) starts, and an
 * all-clear when it ends:
 *
 *   every 30 s ─► snapshot + quarantined readings ─► conditions ─► per condition:
 *       holds, not announced, no alert for it in the last hour ─► "started"
 *       over, announced                                        ─► "cleared"
 *
 * Never a storm: at most one alert per condition per hour, each followed by exactly one all-clear.
 * A condition that comes back within the hour of its last alert is announced when the hour is up,
 * if it still holds. What was announced is kept in `alerts.json` in the state directory, so a
 * restart neither repeats an alert nor forgets an all-clear.
 *
 * It never affects the sync: it only reads the snapshot, and hands messages to the sender's queue
 * (webhook.ts), which delivers on its own. Its timer is the injected one.
 */
import type { TimerHandle, Timers } from "../../clock.js";
import type { Logger } from "../../log.js";
import type { OutcomeEvent } from "../../sinks/outcomes.js";
import type { DaemonSnapshot } from "../../sync/daemon-status.js";
import type { StateStore } from "../../sync/state-store.js";
import { CONDITIONS, type ConditionId, clearedText, evaluateConditions } from "./conditions.js";
import type { AlertMessage } from "./webhook.js";

/** How often the conditions are looked at, ms. */
export const CHECK_EVERY_MS = 30_000;
/** At most one alert per condition in this long, ms. */
export const ALERT_GAP_MS = 3_600_000;
/** A quarantined reading not heard of again in this long is forgotten, ms (Share retries daily). */
const QUARANTINE_MEMORY_MS = 48 * 3_600_000;
const MAX_QUARANTINED = 10_000;

/** What was announced, per condition (alerts.json). */
export interface AlertMemory {
  readonly conditions: Readonly<
    Partial<Record<ConditionId, { readonly announced: boolean; readonly lastAlertMs?: number | undefined }>>
  >;
}

export const ALERT_MEMORY_FILE = "alerts.json";

/** alerts.json's schema for the state store: tolerant, field by field. */
export const ALERT_MEMORY_SCHEMA = {
  empty: (): AlertMemory => ({ conditions: {} }),
  parse(document: unknown): AlertMemory {
    const raw = (document as { conditions?: unknown } | null)?.conditions;
    const conditions: Partial<Record<ConditionId, { announced: boolean; lastAlertMs?: number }>> = {};
    if (typeof raw === "object" && raw !== null) {
      for (const id of CONDITIONS) {
        const entry = (raw as Record<string, unknown>)[id] as
          | { announced?: unknown; lastAlertMs?: unknown }
          | undefined;
        if (typeof entry?.announced !== "boolean") continue;
        const last = entry.lastAlertMs;
        conditions[id] = {
          announced: entry.announced,
          ...(typeof last === "number" && Number.isFinite(last) ? { lastAlertMs: last } : {}),
        };
      }
    }
    return { conditions };
  },
};

export interface AlertMonitorOptions {
  /** The daemon's facts now. */
  readonly snapshot: () => DaemonSnapshot;
  /** Where messages go; must only queue (webhook.ts). */
  readonly send: (message: AlertMessage) => void;
  readonly afterMinutes: number;
  readonly timers: Timers;
  readonly log: Logger;
  /** alerts.json (undefined: kept in memory only). */
  readonly memory?: StateStore<AlertMemory> | undefined;
}

export class AlertMonitor {
  readonly #o: AlertMonitorOptions;
  readonly #quarantined = new Map<string, number>();
  #memory: AlertMemory;
  #active = new Set<ConditionId>();
  #missingSinceMs: number | undefined;
  #timer: TimerHandle | undefined;
  #checking: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: AlertMonitorOptions) {
    this.#o = options;
    this.#memory = options.memory?.current ?? ALERT_MEMORY_SCHEMA.empty();
  }

  /** The Outcomes listener: remembers quarantined readings until Share takes them. Only bookkeeping. */
  readonly noteOutcome = (event: OutcomeEvent): void => {
    const key = `${event.serial}/${event.reading.recordType}/${event.reading.index}`;
    if (event.outcome === "quarantined") {
      this.#quarantined.set(key, event.atMs);
      if (this.#quarantined.size > MAX_QUARANTINED) {
        const oldest = this.#quarantined.keys().next().value;
        if (oldest !== undefined) this.#quarantined.delete(oldest);
      }
    } else if (event.outcome === "stored" || event.outcome === "duplicate") {
      this.#quarantined.delete(key);
    }
  };

  /** Looks every CHECK_EVERY_MS until `stop`. */
  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      void this.check().finally(() => {
        if (!this.#stopped) this.#timer = this.#o.timers.setTimeout(tick, CHECK_EVERY_MS);
      });
    };
    this.#timer = this.#o.timers.setTimeout(tick, CHECK_EVERY_MS);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    await this.#checking;
  }

  /** One look at the conditions. Never rejects. */
  check(): Promise<void> {
    const run = this.#checking.then(() => this.#check());
    this.#checking = run.catch((error: unknown) =>
      this.#o.log.warn({ err: error }, "alerts: a check failed"),
    );
    return this.#checking;
  }

  async #check(): Promise<void> {
    const snapshot = this.#o.snapshot();
    const nowMs = snapshot.nowMs;
    for (const [key, atMs] of this.#quarantined)
      if (nowMs - atMs > QUARANTINE_MEMORY_MS) this.#quarantined.delete(key);
    if (snapshot.phase === "waiting-for-receiver") this.#missingSinceMs ??= nowMs;
    else if (
      (snapshot.lastSuccessAtMs ?? Number.NEGATIVE_INFINITY) >=
      (this.#missingSinceMs ?? Number.POSITIVE_INFINITY)
    )
      this.#missingSinceMs = undefined;

    const holding = evaluateConditions(
      { snapshot, quarantined: this.#quarantined.size, receiverMissingSinceMs: this.#missingSinceMs },
      this.#o.afterMinutes,
      this.#active,
    );
    this.#active = new Set(holding.keys());
    const conditions = { ...this.#memory.conditions };
    let changed = false;
    for (const id of CONDITIONS) {
      const active = holding.get(id);
      const memory = conditions[id] ?? { announced: false };
      if (active !== undefined && !memory.announced) {
        if (memory.lastAlertMs !== undefined && nowMs - memory.lastAlertMs < ALERT_GAP_MS) continue;
        this.#o.send({ condition: id, state: "started", ...active, atMs: nowMs });
        conditions[id] = { announced: true, lastAlertMs: nowMs };
        changed = true;
      } else if (active === undefined && memory.announced) {
        this.#o.send({ condition: id, state: "cleared", ...clearedText(id), atMs: nowMs });
        conditions[id] = { ...memory, announced: false };
        changed = true;
      }
    }
    if (!changed) return;
    this.#memory = { conditions };
    await this.#o.memory
      ?.update(() => this.#memory)
      .catch((error: unknown) => {
        // Kept in memory all the same: the alerts go on; only a restart could repeat one.
        this.#o.log.warn({ err: error }, "alerts: could not save alerts.json");
      });
  }
}
