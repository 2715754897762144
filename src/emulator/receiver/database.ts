/**
 * The emulated receiver's database: one `Partition` per entry of the profile's PartitionInfo.
 * Record types the receiver accepts but has no partition for (13–17 on a touchscreen) behave as
 * empty partitions; types above the profile's maximum are refused by the command handler (§7.2).
 */
import { SharebridgeError } from "../../errors.js";
import type { ModelPartition, ModelRecord, NewRecord } from "./model.js";
import { Partition } from "./partition.js";
import type { Profile } from "./profiles.js";
import type { ReplayPages } from "./replay.js";

/** Partitions that survive EraseDatabase: the factory and PC records (types 0–2, §5.8). */
const KEPT_ON_ERASE: ReadonlySet<number> = new Set([0, 1, 2]);

export class Database {
  readonly #partitions = new Map<number, Partition>();

  /** `replay`: real pages the partitions start from (replay.ts); each type must be the profile's. */
  constructor(profile: Profile, maxPages = Number.POSITIVE_INFINITY, replay?: ReplayPages) {
    for (const spec of profile.partitions) {
      // XML partitions hold one record per page and are never wrapped.
      const limit = spec.recordLength >= 500 ? Number.POSITIVE_INFINITY : maxPages;
      this.#partitions.set(spec.id, new Partition(spec, limit));
    }
    for (const [recordType, pages] of replay ?? []) {
      const partition = this.#partitions.get(recordType);
      if (partition === undefined) {
        throw new SharebridgeError(
          "CONFIG_INVALID",
          `the replay holds pages of record type ${recordType}, a partition the ${profile.id} profile does not have`,
          { recordType, profile: profile.id },
        );
      }
      partition.replay(pages);
    }
  }

  partition(recordType: number): Partition | undefined {
    return this.#partitions.get(recordType);
  }

  /** Appends to a partition the profile has; a record for a partition it lacks is a generator bug. */
  append<R extends ModelRecord>(recordType: number, record: NewRecord<R>): R {
    const partition = this.#partitions.get(recordType);
    if (partition === undefined) {
      throw new SharebridgeError("INTERNAL", `profile has no partition ${recordType}`, { recordType });
    }
    return partition.append<R>(record);
  }

  has(recordType: number): boolean {
    return this.#partitions.has(recordType);
  }

  erase(): void {
    for (const [id, partition] of this.#partitions) if (!KEPT_ON_ERASE.has(id)) partition.erase();
  }

  snapshot(): Readonly<Record<number, ModelPartition>> {
    const out: Record<number, ModelPartition> = {};
    for (const [id, partition] of this.#partitions) out[id] = partition.snapshot();
    return out;
  }
}
