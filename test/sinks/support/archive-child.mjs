// A process that archives readings 0 … total−1 as fast as it can, through the real archive sink and
// the real state store, the way the sync engine drives a sink: write a chunk, then settle its cursor.
// Restarted after a SIGKILL, it goes on from its cursor (the engine would hand over everything after
// it again). Each reading's Share outcome is reported too, so outcome lines interleave.
//
//   node archive-child.mjs STATE_DIR TOTAL CHUNK EPOCH_MS
// Prints "done" when every reading is settled.
import { join } from "node:path";
import { silentLogger } from "../../../dist/log.js";
import { ArchiveSink } from "../../../dist/sinks/archive/archive-sink.js";
import { SYNC_STATE_SCHEMA, withSink } from "../../../dist/sync/state.js";
import { StateStore } from "../../../dist/sync/state-store.js";

const [stateDir, totalText, chunkText, epochText] = process.argv.slice(2);
const total = Number(totalText);
const chunk = Number(chunkText);
const epochMs = Number(epochText);
const SERIAL = "SM12345678";

/** Reading i: one every 5 minutes, taken `total` readings before the epoch. */
export function reading(i) {
  const wtMs = epochMs - (total - i) * 300_000;
  return {
    recordType: 4,
    index: i,
    systemSeconds: 500_000_000 + i * 300,
    storedGlucose: 80 + (i % 200),
    glucose: 80 + (i % 200),
    trend: 4,
    times: { stMs: wtMs, dtMs: wtMs + 3_600_000, ta: 0, wtMs },
    skip: undefined,
  };
}

const store = await StateStore.open(stateDir, SYNC_STATE_SCHEMA);
const sink = new ArchiveSink({ dir: join(stateDir, "archive"), retentionDays: 90, log: silentLogger });
const cursor = store.current.receivers[SERIAL]?.sinks?.archive?.cursors.egv?.lastIndex ?? -1;
const writer = sink.open({
  serial: SERIAL,
  signal: undefined,
  log: silentLogger,
  nowUtcMs: () => epochMs,
  async settle(through) {
    await store.update((state) =>
      withSink(state, SERIAL, "archive", () => ({
        cursors: {
          egv: { lastIndex: through.index, lastSystemSeconds: through.systemSeconds, lastStSeconds: null },
        },
      })),
    );
  },
});
for (let from = cursor + 1; from < total; from += chunk) {
  const readings = [];
  for (let i = from; i < Math.min(total, from + chunk); i++) readings.push(reading(i));
  await writer.write(readings);
  for (const r of readings)
    sink.noteOutcome({ serial: SERIAL, reading: r, outcome: "stored", atMs: epochMs });
  if (sink.problem() !== undefined) throw new Error(sink.problem().message);
}
await writer.end();
await sink.close(epochMs);
process.stdout.write("done\n");
