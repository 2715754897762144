/**
 * `sharebridge receiver records --type T [--since ISO] [--format json|csv]`: the decoded records of
 * one partition, oldest first — one JSON object per line, or CSV with a header row.
 *
 * Every row carries the record's fields under their own names (units in the names, see
 * src/records/record-types.ts) and `utc`, the record's true time from the clock model (DESIGN.md §5;
 * for rev ≥ 4 EGVs the reading's own time). EGV rows add `shareGlucose` and `shareTrend`, what
 * Share would be sent for the stored `glucose` and `trend` (null when the record is never posted).
 * `utcSynchronised` says whether that time came from a
 * synchronised clock: without one the host clock is used anyway, because this command only
 * displays, and a note on stderr says so. Records the decoder could not read are logged with their
 * bytes on stderr and left out.
 */
import { ReadSystemTime } from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import { isPostableGlucose } from "../records/decoders/egv.js";
import { displayedGlucose } from "../records/glucose.js";
import { IncrementalReader } from "../records/incremental-reader.js";
import type { RecordProblem } from "../records/problems.js";
import type { DexcomRecord } from "../records/record-types.js";
import { postedTrend } from "../share/egv.js";
import { type CycleClock, clockForCycle } from "../time/clock-model.js";
import { RECEIVER_EPOCH_MS } from "../time/epoch.js";
import { detectHostSync } from "../time/host-sync.js";
import { resolveTrueClock, type TrueClock } from "../time/reference-clock.js";
import type { Command } from "./command.js";
import { csvLines, jsonLine, parseSince, type Row } from "./data-lines.js";
import { EXIT } from "./exit-codes.js";
import { oneOfOption } from "./option-values.js";
import { withReceiver } from "./receiver-connection.js";
import { parseRecordTypeOption, RECORD_TYPE_OPTIONS, type RecordTypeOption } from "./record-type-option.js";

const RECORD_TYPES: readonly RecordTypeOption[] = [
  "egv",
  "backfill",
  "sensor",
  "meter",
  "cal",
  "insertion",
  "events",
  "settings",
];

export type { Row } from "./data-lines.js";
export { csvLines, jsonLine };

export interface RecordsExport {
  readonly rows: Row[];
  readonly problems: RecordProblem[];
  readonly synchronised: boolean;
  readonly clockSource: string;
}

/**
 * Reads a whole partition and turns its records into rows with their true times. `sinceMs` keeps
 * rows whose `utc` is at or after it.
 */
export async function exportRecords(
  receiver: ReceiverApi,
  recordType: number,
  clock: TrueClock,
  sinceMs?: number,
): Promise<RecordsExport> {
  // The anchor first: one timed ReadSystemTime pins the receiver's clock for the whole read.
  const cycle = clockForCycle(await receiver.callTimed(ReadSystemTime), clock, { allowUnsynchronised: true });
  const result = await new IncrementalReader(receiver).readNew(recordType);
  const rows: Row[] = [];
  for (const record of result.records) {
    const wtMs = cycle.stamp(record).wtMs;
    if (sinceMs !== undefined && wtMs < sinceMs) continue;
    rows.push(toRow(record, wtMs, cycle));
  }
  return { rows, problems: result.problems, synchronised: cycle.synchronised, clockSource: clock.source };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** True time of a system-clock field of a record, with the cycle's offset. */
function systemUtc(cycle: CycleClock, systemSeconds: number | null): string | null {
  return systemSeconds === null
    ? null
    : iso(RECEIVER_EPOCH_MS + (systemSeconds + cycle.offsetSeconds) * 1000);
}

function toRow(record: DexcomRecord, wtMs: number, cycle: CycleClock): Row {
  const row: Row = { ...record, utc: iso(wtMs), utcSynchronised: cycle.synchronised };
  switch (record.kind) {
    case "meter":
      row["meterUtc"] = systemUtc(cycle, record.meterSeconds);
      break;
    case "insertion":
      row["insertionUtc"] = systemUtc(cycle, record.insertionSeconds);
      break;
    case "event":
      // The event time is on the display clock (spec §6.2): back to the system clock by the
      // record's own display offset.
      row["eventUtc"] = systemUtc(
        cycle,
        record.eventDisplaySeconds - (record.displaySeconds - record.systemSeconds),
      );
      break;
    case "egv": {
      // Stored value beside what Share would get (share-api §18.4, §18.1): LOW 39, HIGH 401, trends
      // 8 and 9 as 0; null for what is never posted (special codes, erased flash, display-only).
      const postable = isPostableGlucose(record);
      row["shareGlucose"] = postable ? displayedGlucose(record.glucose) : null;
      row["shareTrend"] = postable ? postedTrend(record.trend) : null;
      break;
    }
    default:
      break;
  }
  return row;
}

const command: Command = {
  usage: `--type ${RECORD_TYPES.join("|")} [--since ISO] [--format json|csv]`,
  options: {
    type: { type: "string" },
    since: { type: "string" },
    format: { type: "string" },
  },
  async run(context) {
    const typeName = parseRecordTypeOption(context.values["type"], RECORD_TYPES);
    const recordType = RECORD_TYPE_OPTIONS[typeName];
    const sinceMs = parseSince(context.values["since"]);
    const format = oneOfOption(context.values, "format", ["json", "csv"] as const) ?? "json";
    // `assumeSynchronized: false` in the configuration means "detect", as for the daemon.
    const assumeSynchronized = context.config.clock.assumeSynchronized ? true : undefined;
    const { clock } = await resolveTrueClock({ hostSync: await detectHostSync({ assumeSynchronized }) });
    const exported = await withReceiver(context, (receiver) =>
      exportRecords(receiver, recordType, clock, sinceMs),
    );
    for (const problem of exported.problems) {
      context.log.warn({ problem }, "record left out: it could not be decoded");
    }
    if (!exported.synchronised) {
      context.stderr.write(
        `note: the host clock is not synchronised (${exported.clockSource}); ` +
          "utc values come from it and may be wrong\n",
      );
    }
    const lines = format === "json" ? exported.rows.map(jsonLine) : csvLines(exported.rows);
    for (const line of lines) context.stdout.write(line);
    return EXIT.OK;
  },
};

export default command;
