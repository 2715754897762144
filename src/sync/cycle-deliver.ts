/**
 * The second half of a cycle: the plan's readings go to every sink while the receiver is still being
 * read (DESIGN.md §7).
 *
 *   plan.readings ──► for each sink: bounded channel (2 chunks) ──► sink writer ──► settle ──► cursor
 *     (the reader)                      │ a slow sink slows the reader only this far
 *                                       └ a failed sink is given nothing more; the others go on
 *
 * - Each sink's cursor moves only when the sink settles, after its destination acknowledged, and is
 *   written to disk before the sink goes on (StateStore.update is awaited).
 * - A sink has a cursor per partition (partitions.ts). It is handed all its EGV_DATA readings before
 *   any BACKFILLED_EGV_DATA one, and settles in order: settling through a backfilled reading settles
 *   every EGV reading it was handed too, so both cursors move.
 * - The read goes on to the end when a sink fails, so the backlog and the newest reading are known
 *   (`status`, the schedule); it stops at once when the cycle is aborted (SIGTERM).
 * - A receiver that fails part-way still lets every sink deliver what was read before the failure:
 *   a link that drops every few requests makes progress from cycle to cycle.
 */
import type { Clock } from "../clock.js";
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import { isPostable, type Reading } from "../readings/reading.js";
import type { Sink, SinkResult } from "../sinks/sink.js";
import { Channel } from "../util/channel.js";
import type { CyclePlan } from "./cycle-plan.js";
import { partitionOf, READING_PARTITIONS } from "./partitions.js";
import type { CursorPartition, EgvCursor, SyncState } from "./state.js";
import { MAX_SINK_NOTES_BYTES, withReceiver, withSink } from "./state.js";
import type { StateStore } from "./state-store.js";

/** Chunks queued per sink: enough to keep reading while a batch is posted, a few pages at most. */
const CHANNEL_CAPACITY = 2;

export interface DeliverInput {
  readonly plan: CyclePlan;
  readonly sinks: readonly Sink[];
  readonly store: StateStore<SyncState>;
  readonly clock: Clock;
  readonly signal?: AbortSignal | undefined;
  readonly log: Logger;
}

export interface SinkOutcome {
  readonly sink: string;
  readonly delivered: number;
  readonly requests: number;
  /** Postable readings after the sink's cursor not yet acknowledged at the end of the cycle. */
  readonly backlog: number;
  readonly cursorBefore: EgvCursor | undefined;
  readonly cursorAfter: EgvCursor | undefined;
  /** Readings the destination would not take yet (Share: called future). */
  readonly held: number;
  /** Readings set aside for good reasons of the destination (Share: quarantine), in all. */
  readonly quarantined: number;
  /** The destination doubts our clock: measure it afresh. */
  readonly clockSuspect: boolean;
  readonly error: unknown;
}

interface Lane {
  readonly sink: Sink;
  readonly channel: Channel<readonly Reading[]>;
  /** The sink's EGV_DATA cursor at the start of the cycle. */
  readonly base: EgvCursor | undefined;
  /** The last reading of each partition handed to the sink (settled with any later one). */
  readonly handed: Partial<Record<CursorPartition, Reading>>;
  /** Postable readings after the cursor handed to (or meant for) this sink. */
  postable: number;
  /** Readings the sink settled as acknowledged by its destination. */
  delivered: number;
  result: SinkResult | undefined;
  error: unknown;
}

export interface Delivery {
  readonly sinks: readonly SinkOutcome[];
  /** What ended the read early (a receiver failure, the held offset not saved), if anything. */
  readonly readError: unknown;
}

/** Runs the sinks over the plan's readings. Never throws: what failed is in the result. */
export async function deliver(input: DeliverInput): Promise<Delivery> {
  const { plan, store, signal } = input;
  const serial = plan.serial;
  const lanes: Lane[] = input.sinks.map((sink) => ({
    sink,
    channel: new Channel<readonly Reading[]>(CHANNEL_CAPACITY),
    base: plan.cursor(sink.name, "egv"),
    handed: {},
    postable: 0,
    delivered: 0,
    result: undefined,
    error: undefined,
  }));
  const consumers = lanes.map((lane) => consume(lane, input));

  let readError: unknown;
  try {
    for await (const readings of plan.readings) {
      if (signal?.aborted === true) break;
      for (const lane of lanes) {
        const mine = readings.filter((r) => plan.isNew(lane.sink.name, r));
        const last = mine.at(-1);
        if (last === undefined) continue;
        for (const reading of mine) if (isPostable(reading)) lane.postable++;
        lane.handed[partitionOf(last.recordType)] = last;
        await lane.channel.push(mine);
      }
    }
  } catch (error) {
    readError = error;
  } finally {
    for (const lane of lanes) {
      if (signal?.aborted === true) lane.channel.abandon();
      else lane.channel.close();
    }
  }
  await Promise.all(consumers);

  // What `status` and the schedule show: the newest reading, whatever the sinks made of it.
  const lastReading = plan.stats.lastReading;
  try {
    await store.update((state) => ({
      ...withReceiver(state, serial, (r) => ({ ...r, lastReading })),
      lastSerial: serial,
    }));
  } catch (error) {
    readError ??= error;
  }
  const sinks = lanes.map((lane) => ({
    sink: lane.sink.name,
    delivered: lane.delivered,
    requests: lane.result?.requests ?? 0,
    backlog: Math.max(0, lane.postable - lane.delivered),
    cursorBefore: lane.base,
    cursorAfter: store.current.receivers[serial.toUpperCase()]?.sinks?.[lane.sink.name]?.cursors.egv,
    held: lane.result?.held ?? 0,
    quarantined: lane.result?.quarantined ?? 0,
    clockSuspect: lane.result?.clockSuspect ?? false,
    error: lane.error,
  }));
  return { sinks, readError };
}

async function consume(lane: Lane, input: DeliverInput): Promise<void> {
  const { plan, store, clock, signal, log } = input;
  const serial = plan.serial;
  /** ST of the newest acknowledged reading per partition, epoch seconds. */
  const lastSt: Partial<Record<CursorPartition, number | null>> = {};
  const cursorAt = (reading: Reading): EgvCursor => {
    const partition = partitionOf(reading.recordType);
    const st = lastSt[partition] ?? plan.cursor(lane.sink.name, partition)?.lastStSeconds ?? null;
    return { lastIndex: reading.index, lastSystemSeconds: reading.systemSeconds, lastStSeconds: st };
  };
  const writer = lane.sink.open({
    serial,
    signal,
    log: log.child({ sink: lane.sink.name }),
    nowUtcMs: () => clock.now() + plan.clock().clock.correctionMs,
    notes: store.current.receivers[serial.toUpperCase()]?.sinks?.[lane.sink.name]?.notes,
    async saveNotes(notes) {
      if (JSON.stringify(notes).length > MAX_SINK_NOTES_BYTES) {
        throw new SharebridgeError("INTERNAL", `the ${lane.sink.name} sink's notes outgrew their bound`, {
          sink: lane.sink.name,
        });
      }
      await store.update((state) => withSink(state, serial, lane.sink.name, (s) => ({ ...s, notes })));
    },
    async settle(through, acknowledged) {
      for (const reading of acknowledged) {
        if (reading.times === undefined) continue;
        const partition = partitionOf(reading.recordType);
        const before = lastSt[partition] ?? plan.cursor(lane.sink.name, partition)?.lastStSeconds ?? null;
        lastSt[partition] = Math.max(before ?? 0, reading.times.stMs / 1000);
      }
      // `through`'s partition, and every partition handed before it, settled up to what was handed.
      const moved: Partial<Record<CursorPartition, EgvCursor>> = {};
      const partition = partitionOf(through.recordType);
      for (const earlier of READING_PARTITIONS.slice(0, READING_PARTITIONS.indexOf(partition))) {
        const last = lane.handed[earlier];
        if (last !== undefined) moved[earlier] = cursorAt(last);
      }
      moved[partition] = cursorAt(through);
      const at = clock.now() + plan.clock().clock.correctionMs;
      await store.update((state) =>
        withSink(state, serial, lane.sink.name, (s) => ({
          ...s,
          cursors: { ...s.cursors, ...moved },
          lastDeliveredUtcMs: acknowledged.length > 0 ? at : s.lastDeliveredUtcMs,
        })),
      );
      lane.delivered += acknowledged.length;
      if (acknowledged.length > 0) {
        log.info({ sink: lane.sink.name, readings: acknowledged.length }, "readings delivered");
      }
    },
  });
  try {
    for await (const readings of lane.channel) await writer.write(readings);
    if (signal?.aborted !== true) lane.result = await writer.end();
  } catch (error) {
    lane.error = error;
    lane.channel.abandon();
  }
}

/**
 * A failure as the cycle reports it: the same error (same code, so the same exit code and policy)
 * with how many readings were acknowledged before it and how many are left (a count the error
 * already carries, from a stage that saw more, is kept when larger).
 */
export function withProgress(error: unknown, posted: number, backlog: number): unknown {
  if (!isSharebridgeError(error)) return error;
  const known = error.context["backlog"];
  return error.within("", { posted, backlog: Math.max(backlog, typeof known === "number" ? known : 0) });
}
