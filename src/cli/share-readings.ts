/**
 * `sharebridge share readings`: what followers see, through the read call (share-api §7). Times are
 * shown on the wearer's clock when the server says its offset, otherwise in UTC.
 */
import type { ShareReading } from "../share/readings.js";
import { countOf } from "../util/plural.js";
import type { Command } from "./command.js";
import { SHARE_FLAG_OPTIONS, SHARE_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { integerOption } from "./option-values.js";
import { withShareClient } from "./share-options.js";

/** `2026-03-01 04:35:00 -04:00` on the wearer's clock, or `2026-03-01 08:35:00 UTC`. */
export function wearerTime(reading: ShareReading): string {
  const offset = reading.dtOffsetMinutes;
  const local = new Date(reading.wtMs + (offset ?? 0) * 60_000).toISOString().slice(0, 19).replace("T", " ");
  if (offset === undefined) return `${local} UTC`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${local} ${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

const command: Command = {
  usage: `(--region R | --server URL) --username NAME --password-file FILE [--minutes M] [--max N] [--json]

${SHARE_FLAGS_USAGE}
  --minutes M               how far back, 1 to 1440 (default 60)
  --max N                   at most N readings, 1 to 288 (default 12)
  --json                    one JSON object per line`,
  requiresShareAccount: true,
  options: {
    ...SHARE_FLAG_OPTIONS,
    minutes: { type: "string" },
    max: { type: "string" },
    json: { type: "boolean" },
  },
  async run(ctx) {
    const minutes = integerOption(ctx.values, "minutes", 1, 1440) ?? 60;
    const maxCount = integerOption(ctx.values, "max", 1, 288) ?? 12;
    return withShareClient(ctx, async (client) => {
      const { readings } = await client.readLatestGlucose({ minutes, maxCount, signal: ctx.signal });
      for (const r of readings) {
        if (ctx.values["json"] === true) {
          ctx.stdout.write(
            `${JSON.stringify({
              time: new Date(r.wtMs).toISOString(),
              wtMs: r.wtMs,
              glucose: r.glucose,
              trend: r.trend,
              trendName: r.trendName,
              dtOffsetMinutes: r.dtOffsetMinutes ?? null,
            })}\n`,
          );
        } else {
          ctx.stdout.write(`${wearerTime(r)}  ${String(r.glucose).padStart(3)} mg/dL  ${r.trendName}\n`);
        }
      }
      if (readings.length === 0 && ctx.values["json"] !== true) {
        ctx.stderr.write(
          `No readings in the last ${countOf(minutes, "minute")}. (Share may hold them back until the account has a follower.)\n`,
        );
      }
      return EXIT.OK;
    });
  },
};

export default command;
