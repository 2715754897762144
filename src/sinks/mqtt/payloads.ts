/**
 * What is published on a receiver's state topics (topics.ts), as JSON with snake_case keys, the
 * convention of Home Assistant's templates (`value_json.glucose_mgdl`):
 *
 *   PREFIX/SERIAL/reading  {"glucose_mgdl":120,"trend":"Flat","trend_arrow":"→",
 *                           "reading_time":"2026-05-02T12:00:00.000Z","serial":"SM12345678"}
 *   PREFIX/SERIAL/status   {"share_status":"ok","waiting_for":null,"readings_waiting":0,
 *                           "last_post":"2026-05-02T12:00:03.000Z","battery_percent":87,
 *                           "serial":"SM12345678"}
 *
 * `reading_time` is the reading's true instant (WT, UTC); a value not known is JSON null, which
 * Home Assistant's templates render as `None` and show as "unknown". Nothing here is a secret.
 */
import type { PostableReading } from "../../readings/reading.js";
import { TREND_NAMES, trendName } from "../../share/trend.js";

/** Arrows by trend ordinal (receiver-protocol §5.1), as a receiver's screen shows them. */
const TREND_ARROWS: readonly string[] = ["", "⇈", "↑", "↗", "→", "↘", "↓", "⇊", "?", "⇕"];

/** The trend names, in Home Assistant's `options` for the trend sensor. */
export const TREND_OPTIONS: readonly string[] = TREND_NAMES;

/** What the uploader is doing, as the Share status sensor shows it. */
export const SHARE_STATUSES = [
  /** Cycles succeed. */
  "ok",
  "starting",
  "waiting-for-receiver",
  "waiting-for-clock",
  "waiting-for-share",
  "waiting-for-operator",
  "stopping",
] as const;
export type ShareStatus = (typeof SHARE_STATUSES)[number];

/** The uploader's state, as the composition root maps the daemon's snapshot to it. */
export interface UploaderStatus {
  readonly serial: string | undefined;
  readonly shareStatus: ShareStatus;
  /** What the daemon waits for, in words; undefined when it waits for nothing. */
  readonly waitingFor: string | undefined;
  /** Readings on the receiver not yet acknowledged by Share. */
  readonly readingsWaiting: number;
  /** When Share last acknowledged a post (true UTC, ms). */
  readonly lastPostUtcMs: number | undefined;
  /** The receiver's battery, percent. */
  readonly batteryPercent: number | undefined;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The reading topic's payload. */
export function readingPayload(reading: PostableReading, serial: string): string {
  return JSON.stringify({
    glucose_mgdl: reading.glucose,
    trend: trendName(reading.trend),
    trend_arrow: TREND_ARROWS[reading.trend] ?? "",
    reading_time: iso(reading.times.wtMs),
    serial,
  });
}

/** The status topic's payload. */
export function statusPayload(status: UploaderStatus, serial: string): string {
  return JSON.stringify({
    share_status: status.shareStatus,
    waiting_for: status.waitingFor ?? null,
    readings_waiting: status.readingsWaiting,
    last_post: iso(status.lastPostUtcMs),
    battery_percent: status.batteryPercent ?? null,
    serial,
  });
}
