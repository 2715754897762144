/**
 * The partitions a cycle reads readings from, in the order it reads them (receiver-protocol §4.2,
 * §10.4): EGV_DATA, then BACKFILLED_EGV_DATA on receivers whose PartitionInfo lists it (touchscreen
 * receivers write there the readings a signal loss kept from EGV_DATA, once the signal is back).
 * Each sink keeps one cursor per partition (state.ts `CURSOR_PARTITIONS`): indexes of the two
 * partitions are separate series.
 *
 * Steady state costs one more round trip on a receiver with the partition, none on a G4: instead of
 * the page range and the newest page of type 18 every cycle (two round trips), the new-record probe
 * asks one page header or the page range (new-record-probe.ts), and the partition is read only when
 * the probe finds a record after the cursor.
 */
import { isSharebridgeError } from "../errors.js";
import type { IncrementalReader, RecordCursor } from "../records/incremental-reader.js";
import { RECORD_TYPE } from "../wire/record-types.js";
import type { ReceiverSession } from "./cycle-plan.js";
import { newRecordStored } from "./new-record-probe.js";
import { CURSOR_PARTITIONS, type CursorPartition, type EgvCursor } from "./state.js";

/** The reading partitions in reading order (a sink is handed all of one before the next). */
export const READING_PARTITIONS: readonly CursorPartition[] = CURSOR_PARTITIONS;

/** The record type each cursor partition reads. */
export const PARTITION_RECORD_TYPE: Readonly<Record<CursorPartition, number>> = {
  egv: RECORD_TYPE.EGV_DATA,
  backfill: RECORD_TYPE.BACKFILLED_EGV_DATA,
};

/** The cursor partition a reading of `recordType` moves. */
export function partitionOf(recordType: number): CursorPartition {
  return recordType === RECORD_TYPE.BACKFILLED_EGV_DATA ? "backfill" : "egv";
}

/**
 * Whether this cycle reads BACKFILLED_EGV_DATA: the receiver's PartitionInfo lists it, and either no
 * cursor says where the last read stopped or the probe finds a record after it. A probe that fails
 * for any reason but a stop answers "read": the read then says properly what is wrong.
 */
export async function backfillDue(
  session: { readonly receiver: ReceiverSession["receiver"]; readonly reader: IncrementalReader },
  cursor: RecordCursor | undefined,
): Promise<boolean> {
  const recordType = PARTITION_RECORD_TYPE.backfill;
  if ((await session.reader.listsPartition(recordType)) !== true) return false;
  if (cursor === undefined) return true;
  try {
    return await newRecordStored(session.receiver, session.reader, recordType, cursor.lastIndex);
  } catch (error) {
    if (isSharebridgeError(error, "ABORTED")) throw error;
    return true;
  }
}

/** The oldest of the sinks' cursors, or undefined when a sink has none (it reads the whole window). */
export function oldestCursor(cursors: readonly (EgvCursor | undefined)[]): RecordCursor | undefined {
  let oldest: EgvCursor | undefined;
  for (const cursor of cursors) {
    if (cursor === undefined) return undefined;
    if (oldest === undefined || cursor.lastIndex < oldest.lastIndex) oldest = cursor;
  }
  return oldest === undefined
    ? undefined
    : { lastIndex: oldest.lastIndex, lastSystemSeconds: oldest.lastSystemSeconds };
}
