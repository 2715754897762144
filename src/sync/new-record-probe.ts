/**
 * Has the receiver stored a record after `lastIndex`? One receiver round trip, for the daemon's
 * checks around the moment a reading is due (schedule.ts), instead of a whole cycle's three.
 *
 * Global indexes fill pages in order (receiver-protocol §4.5): the record after `lastIndex` lands on
 * the same page unless that page is full, when it opens the next one. So:
 * - `lastIndex` is not the last slot of its page: read that page's header (ReadDatabasePageHeader,
 *   28 bytes) — its first index plus its record count tells the newest index on it;
 * - it is the last slot: the page range (ReadDatabasePageRange) tells whether a next page exists.
 *
 * Anything unexpected (no record length known, a header that does not fit) answers "yes": the cycle
 * that follows reads properly and reports what is wrong. A probe never decides that nothing is new
 * on evidence it does not understand.
 */
import { ReadDatabasePageHeader, ReadDatabasePageRange } from "../receiver/commands.js";
import type { ReceiverApi } from "../receiver/receiver-api.js";
import type { IncrementalReader } from "../records/incremental-reader.js";
import { decodePageHeader, recordsPerPage } from "../wire/page.js";

export async function newRecordStored(
  receiver: ReceiverApi,
  reader: IncrementalReader,
  recordType: number,
  lastIndex: number,
): Promise<boolean> {
  const info = await reader.partitionInfo();
  const recordLength = info?.partitions.find((p) => p.id === recordType)?.recordLength;
  if (recordLength === undefined || lastIndex < 0) return true;
  const perPage = recordsPerPage(recordLength);
  const page = Math.floor(lastIndex / perPage);
  if ((lastIndex + 1) % perPage === 0) {
    const range = await receiver.call(ReadDatabasePageRange, recordType);
    return range === undefined || range.lastPage !== page;
  }
  const header = decodePageHeader(await receiver.call(ReadDatabasePageHeader, recordType, page));
  if (header.recordType !== recordType || header.firstRecordIndex !== page * perPage) return true;
  return header.firstRecordIndex + header.recordCount - 1 !== lastIndex;
}
