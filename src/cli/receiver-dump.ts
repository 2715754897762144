/**
 * `sharebridge receiver dump --type T [--first P] [--count N] [--format hex|json]`: raw database
 * pages, one page per line, for bug reports and test fixtures. The hex format is the fixtures'
 * format: 528 bytes as upper-case hex separated by single spaces.
 */
import { SharebridgeError } from "../errors.js";
import { ReadDatabasePageRange } from "../receiver/commands.js";
import { toHex } from "../util/hex.js";
import { decodePageHeader } from "../wire/page.js";
import type { Command } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { integerOption, oneOfOption } from "./option-values.js";
import { withReceiver } from "./receiver-connection.js";
import { parseRecordTypeOption, RECORD_TYPE_OPTIONS, type RecordTypeOption } from "./record-type-option.js";

const DUMP_TYPES: readonly RecordTypeOption[] = [
  "egv",
  "sensor",
  "meter",
  "cal",
  "insertion",
  "events",
  "settings",
  "manufacturing",
  "backfill",
];

/** Page numbers are 32-bit (spec §3.1, ReadDatabasePageRange). */
const MAX_PAGE_NUMBER = 0xfffffffe;

function headerOrError(page: Uint8Array): unknown {
  try {
    return decodePageHeader(page);
  } catch (error) {
    return { error: (error as SharebridgeError).code ?? "INVALID" };
  }
}

const command: Command = {
  usage: `--type ${DUMP_TYPES.join("|")} [--first PAGE] [--count N] [--format hex|json]`,
  options: {
    type: { type: "string" },
    first: { type: "string" },
    count: { type: "string" },
    format: { type: "string" },
  },
  async run(context) {
    const typeName = parseRecordTypeOption(context.values["type"], DUMP_TYPES);
    const recordType = RECORD_TYPE_OPTIONS[typeName];
    const format = oneOfOption(context.values, "format", ["hex", "json"] as const) ?? "hex";
    const first = integerOption(context.values, "first", 0, MAX_PAGE_NUMBER);
    const count = integerOption(context.values, "count", 1, MAX_PAGE_NUMBER);
    await withReceiver(context, async (receiver) => {
      const range = await receiver.call(ReadDatabasePageRange, recordType);
      if (range === undefined) {
        context.log.info({ type: typeName }, "the partition is empty");
        return;
      }
      const start = first ?? range.firstPage;
      const end = count === undefined ? range.lastPage : start + count - 1;
      if (start < range.firstPage || start > range.lastPage || end > range.lastPage) {
        throw new SharebridgeError(
          "USAGE",
          `pages ${start}–${end} are outside the partition's range ${range.firstPage}–${range.lastPage}`,
          { firstPage: range.firstPage, lastPage: range.lastPage },
        );
      }
      // Read and print in slices so a whole partition never sits in memory at once.
      for (let page = start; page <= end; page += 64) {
        const pages = await receiver.readPages(recordType, page, Math.min(64, end - page + 1));
        for (const [i, bytes] of pages.entries()) {
          context.stdout.write(
            format === "hex"
              ? `${toHex(bytes)}\n`
              : `${JSON.stringify({ type: typeName, recordType, page: page + i, header: headerOrError(bytes), hex: toHex(bytes) })}\n`,
          );
        }
      }
    });
    return EXIT.OK;
  },
};

export default command;
