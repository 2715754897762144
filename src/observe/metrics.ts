/**
 * The daemon's facts in the Prometheus text exposition format, version 0.0.4 (DESIGN.md §8: "a
 * local health/metrics endpoint serves the same facts to Docker health checks and Prometheus").
 *
 * Every metric carries the `sharebridge_` prefix and base units (seconds, readings); counters end in
 * `_total`. A gauge whose value is unknown (no reading yet, no post yet) keeps its HELP and TYPE
 * lines and has no sample, which Prometheus reads as "absent" rather than as a false zero.
 *
 *   sharebridge_up                                  1 while the daemon answers (the scrape itself)
 *   sharebridge_healthy                             1 when a cycle succeeded within two reading intervals
 *   sharebridge_info{serial}                        1, labelled with the receiver serial ("" before one is known)
 *   sharebridge_phase{phase}                        1 for the current phase, 0 for the others
 *   sharebridge_start_time_seconds                  when the daemon started, Unix seconds
 *   sharebridge_last_success_age_seconds            since the last cycle that completed without error
 *   sharebridge_last_reading_age_seconds            since the newest reading on the receiver was taken
 *   sharebridge_last_post_age_seconds               since Share last acknowledged a post
 *   sharebridge_backlog_readings                    readings inside the backfill window not yet on Share
 *   sharebridge_held_readings                       readings Share called future in the last cycle (held back)
 *   sharebridge_quarantined_readings                readings Share keeps refusing, set aside (share-api §18.7)
 *   sharebridge_probes_total                        checks for the next reading around its due time
 *   sharebridge_clock_offset_seconds                true UTC − receiver system clock (the held offset)
 *   sharebridge_reading_interval_seconds            the receiver's reading cadence in use
 *   sharebridge_cycles_total{outcome}               cycles by outcome
 *   sharebridge_link_errors_total{kind}             receiver link events by kind (timeouts, badCrc, …)
 *   sharebridge_share_errors_total{code}            Share failures by error code (SHARE_UNAVAILABLE, …)
 *   sharebridge_readings_skipped_total{reason}      readings never posted, by reason (special, …)
 *
 * Ages are computed from the snapshot's own `nowMs`, so one scrape is internally consistent. Label
 * values come from the daemon, but are escaped and bounded anyway: a receiver serial or an error
 * code is still bytes that came from outside.
 */
import { DAEMON_PHASES, type DaemonSnapshot, isHealthy } from "../sync/daemon-status.js";

/** The Content-Type of this format (exposition format 0.0.4). */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label values longer than this are cut: a label is an identifier, not a message. */
const MAX_LABEL_VALUE_LENGTH = 64;
/** At most this many series per labelled counter, so a misbehaving source cannot grow a scrape without end. */
const MAX_SERIES_PER_METRIC = 50;

type MetricType = "gauge" | "counter";

interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Label value escaping per the format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value
    .slice(0, MAX_LABEL_VALUE_LENGTH)
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n");
}

/** Sample values: Go float syntax, which Prometheus parses (NaN and ±Inf spelled its way). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function family(name: string, type: MetricType, help: string, samples: readonly Sample[]): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  for (const sample of samples) {
    const labels = Object.entries(sample.labels ?? {});
    const labelText =
      labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
    out += `${name}${labelText} ${formatValue(sample.value)}\n`;
  }
  return out;
}

/** One gauge sample, or none when the value is unknown. */
function maybe(value: number | undefined): Sample[] {
  return value === undefined || !Number.isFinite(value) ? [] : [{ value }];
}

/** Seconds from `thenMs` to the snapshot's `nowMs`, millisecond precision. */
function ageSeconds(snapshot: DaemonSnapshot, thenMs: number | undefined): number | undefined {
  return thenMs === undefined ? undefined : (snapshot.nowMs - thenMs) / 1000;
}

/** A labelled counter's samples in a stable order (sorted by label value), bounded in number. */
function counterSamples(label: string, counts: Readonly<Record<string, number>>): Sample[] {
  return Object.entries(counts)
    .filter(([, count]) => Number.isFinite(count) && count >= 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_SERIES_PER_METRIC)
    .map(([key, count]) => ({ labels: { [label]: key }, value: count }));
}

/** The whole exposition for one scrape. */
export function renderMetrics(snapshot: DaemonSnapshot): string {
  return [
    family("sharebridge_up", "gauge", "1 while the sharebridge daemon answers.", [{ value: 1 }]),
    family(
      "sharebridge_healthy",
      "gauge",
      "1 when a sync cycle succeeded within the last two reading intervals, else 0.",
      [{ value: isHealthy(snapshot) ? 1 : 0 }],
    ),
    family("sharebridge_info", "gauge", "Always 1; the serial label names the receiver in use.", [
      { labels: { serial: snapshot.serial ?? "" }, value: 1 },
    ]),
    family(
      "sharebridge_phase",
      "gauge",
      "1 for the phase the daemon is in, 0 for the others.",
      DAEMON_PHASES.map((phase) => ({ labels: { phase }, value: phase === snapshot.phase ? 1 : 0 })),
    ),
    family(
      "sharebridge_start_time_seconds",
      "gauge",
      "When the daemon started, seconds since the Unix epoch.",
      maybe(snapshot.startedAtMs / 1000),
    ),
    family(
      "sharebridge_last_success_age_seconds",
      "gauge",
      "Seconds since the last sync cycle that completed without error.",
      maybe(ageSeconds(snapshot, snapshot.lastSuccessAtMs)),
    ),
    family(
      "sharebridge_last_reading_age_seconds",
      "gauge",
      "Seconds since the newest reading on the receiver was taken.",
      maybe(ageSeconds(snapshot, snapshot.lastReading?.utcMs)),
    ),
    family(
      "sharebridge_last_post_age_seconds",
      "gauge",
      "Seconds since Dexcom Share last acknowledged posted readings.",
      maybe(ageSeconds(snapshot, snapshot.lastPostUtcMs)),
    ),
    family(
      "sharebridge_backlog_readings",
      "gauge",
      "Readings inside the backfill window not yet acknowledged by Share.",
      maybe(snapshot.backlog),
    ),
    family(
      "sharebridge_held_readings",
      "gauge",
      "Readings Share called future in the last cycle, held back and posted again next cycle.",
      maybe(snapshot.held),
    ),
    family(
      "sharebridge_quarantined_readings",
      "gauge",
      "Readings Share keeps refusing for their content, set aside and tried again once a day.",
      maybe(snapshot.quarantined),
    ),
    family(
      "sharebridge_clock_offset_seconds",
      "gauge",
      "True UTC minus the receiver's system clock, in seconds (the held offset).",
      maybe(snapshot.clockOffsetSeconds),
    ),
    family(
      "sharebridge_reading_interval_seconds",
      "gauge",
      "The receiver's reading cadence in use, in seconds.",
      maybe(snapshot.readingIntervalSeconds),
    ),
    family(
      "sharebridge_cycles_total",
      "counter",
      "Sync cycles since the daemon started, by outcome.",
      counterSamples("outcome", snapshot.cycles),
    ),
    family(
      "sharebridge_link_errors_total",
      "counter",
      "Receiver link events since the daemon started, by kind.",
      counterSamples("kind", snapshot.linkErrors),
    ),
    family(
      "sharebridge_share_errors_total",
      "counter",
      "Dexcom Share failures since the daemon started, by error code.",
      counterSamples("code", snapshot.shareErrors),
    ),
    family(
      "sharebridge_probes_total",
      "counter",
      "Checks for the next reading around its due time since the daemon started (one receiver round trip each).",
      maybe(snapshot.probes),
    ),
    family(
      "sharebridge_readings_skipped_total",
      "counter",
      "Readings never posted since the daemon started, by reason.",
      counterSamples("reason", snapshot.skipped),
    ),
  ].join("");
}
