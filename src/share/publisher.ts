/**
 * The publisher side: the account's monitored receiver, the remote monitoring session and posting
 * readings (share-api §4, §5.3, §6, §14.1 items 3–5, §18).
 *
 * Readiness (receiver assigned, monitoring started) is established before the first post for a
 * serial and then kept; when a post says it was lost, it is restored once and the post repeated
 * once. A second answer of the same kind is final and the caller backs off. Whether a slot held by
 * another serial may be taken is the `replaceReceiver` setting's (assignment.ts).
 *
 * Every serial goes to Share in upper case (share-api §18.2).
 */

import { isSharebridgeError, SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import {
  ACTIVE_UPLOADER_MINUTES,
  ASSIGNMENT_STATUSES,
  type AssignmentReport,
  type AssignmentStatus,
  refusedSlotError,
  type SlotCase,
  slotAction,
} from "./assignment.js";
import type { AuthedCaller } from "./authed-call.js";
import {
  assertBatchShape,
  type BatchResult,
  contentRefusal,
  futureSplit,
  invalidReadings,
} from "./batch-result.js";
import { type EgvBatch, planBatches, postBody, type ShareEgv, shareSerial } from "./egv.js";
import { faultKindOf } from "./fault.js";
import type { ReplaceReceiverSetting } from "./settings.js";

export { ASSIGNMENT_STATUSES, type AssignmentStatus } from "./assignment.js";

export interface BatchAck {
  /**
   * `stored` and `duplicate` acknowledge the whole batch; `future` only the readings Share stored
   * before the ones it called future (share-api §18.5): `count` and `lastStSeconds` cover those.
   */
  readonly outcome: "stored" | "duplicate" | "future";
  readonly count: number;
  readonly taSeconds: number;
  readonly firstStSeconds: number;
  /** Where the caller's cursor may move once this batch is acknowledged. */
  readonly lastStSeconds: number;
}

export interface PostOptions {
  readonly signal?: AbortSignal | undefined;
  /** Awaited after each acknowledged batch, before the next is sent: the place to persist the cursor. */
  readonly onBatch?: (ack: BatchAck) => void | Promise<void>;
}

export interface PostResult {
  readonly batches: readonly BatchAck[];
  /** Readings acknowledged. */
  readonly readings: number;
  /**
   * Readings Share called future and did not store, oldest first; posting stopped there (everything
   * after them is newer still). Post them again on a later cycle.
   */
  readonly future: readonly ShareEgv[];
}

/** The account's latest reading in the last `minutes`, if any (assignment.ts uses it to tell silent from active). */
export type LatestReadingProbe = (minutes: number, signal?: AbortSignal) => Promise<number | undefined>;

export interface PublisherOptions {
  readonly call: AuthedCaller;
  readonly replaceReceiver: ReplaceReceiverSetting;
  readonly latestReading: LatestReadingProbe;
  readonly log: Logger;
}

const OP = {
  check: "Publisher/CheckMonitoredReceiverAssignmentStatus",
  replace: "Publisher/ReplacePublisherAccountMonitoredReceiver",
  isActive: "Publisher/IsRemoteMonitoringSessionActive",
  start: "Publisher/StartRemoteMonitoringSession",
  stop: "Publisher/StopRemoteMonitoringSession",
  post: "Publisher/PostReceiverEgvRecords",
} as const;

export class Publisher {
  readonly #o: PublisherOptions;
  /** The serial (upper case) for which assignment and monitoring were established. */
  #readySerial: string | undefined;

  constructor(options: PublisherOptions) {
    this.#o = options;
  }

  /** Forget readiness (after a credentials reset: the account may be another one). */
  forgetReadiness(): void {
    this.#readySerial = undefined;
  }

  async assignmentStatus(serial: string, signal?: AbortSignal): Promise<AssignmentStatus> {
    const sn = shareSerial(serial);
    const answer = await this.#o.call(OP.check, { query: { serialNumber: sn }, signal });
    const value = answer.kind === "json" ? answer.value : undefined;
    if (typeof value === "string" && (ASSIGNMENT_STATUSES as readonly string[]).includes(value)) {
      return value as AssignmentStatus;
    }
    throw new SharebridgeError("SHARE_PROTOCOL", `unexpected answer to ${OP.check}`, {
      operation: OP.check,
      answer: typeof value,
    });
  }

  /**
   * What the slot holds for `serial` and what posting would do about it (assignment.ts). Changes
   * nothing on the account: the Start it may send can only fail for a serial the account lacks.
   */
  async describeAssignment(serial: string, signal?: AbortSignal): Promise<AssignmentReport> {
    const sn = shareSerial(serial);
    const status = await this.assignmentStatus(sn, signal);
    if (status === "AssignedToYou") return this.#report(sn, status, "ours");
    if (status === "AssignedToSomeoneElse") return this.#report(sn, status, "owned-elsewhere");
    try {
      await this.startMonitoring(sn, signal);
      return this.#report(sn, "AssignedToYou", "ours");
    } catch (error) {
      const kind = faultKindOf(error);
      if (kind === "receiver-not-assigned") return this.#report(sn, status, "free");
      if (kind === "receiver-mismatch") return this.#heldSlot(sn, status, signal);
      throw error;
    }
  }

  /** Makes `serial` the account's monitored receiver; already being it counts as success. */
  async replaceReceiver(serial: string, signal?: AbortSignal): Promise<void> {
    const sn = shareSerial(serial);
    try {
      // The answer (a UUID in the official app, share-api §15 #8) carries nothing the client needs.
      await this.#o.call(OP.replace, { query: { serialNumber: sn }, signal });
      this.#o.log.info({ serial: sn }, "assigned the receiver to the Share account");
    } catch (error) {
      if (faultKindOf(error) === "serial-already-yours") return;
      if (faultKindOf(error) === "serial-owned-elsewhere") {
        throw refusedSlotError(this.#report(sn, "AssignedToSomeoneElse", "owned-elsewhere"), error);
      }
      throw error;
    }
  }

  async isMonitoringActive(signal?: AbortSignal): Promise<boolean> {
    const answer = await this.#o.call(OP.isActive, { signal });
    if (answer.kind === "json" && typeof answer.value === "boolean") return answer.value;
    throw new SharebridgeError("SHARE_PROTOCOL", `unexpected answer to ${OP.isActive}`, {
      operation: OP.isActive,
    });
  }

  /** Starts the remote monitoring session; "already active" is success (share-api §9.3). */
  async startMonitoring(serial: string, signal?: AbortSignal): Promise<void> {
    const sn = shareSerial(serial);
    try {
      await this.#o.call(OP.start, { query: { serialNumber: sn }, signal });
    } catch (error) {
      if (faultKindOf(error) !== "monitoring-already-active") throw error;
    }
  }

  async stopMonitoring(signal?: AbortSignal): Promise<void> {
    await this.#o.call(OP.stop, { signal });
    this.#readySerial = undefined;
  }

  /**
   * Check → (assign) → Start, before the first post for `serial` (share-api §14.1 item 3, §18.3).
   * A free serial is tried with Start first: its answer tells an account without a receiver
   * (assign freely) from one that monitors another serial (the setting decides).
   */
  async ensureReady(serial: string, signal?: AbortSignal): Promise<void> {
    const sn = shareSerial(serial);
    const status = await this.assignmentStatus(sn, signal);
    if (status === "AssignedToSomeoneElse") {
      throw refusedSlotError(this.#report(sn, status, "owned-elsewhere"));
    }
    try {
      await this.startMonitoring(sn, signal);
    } catch (error) {
      await this.#restoreAssignment(sn, error, signal);
      await this.startMonitoring(sn, signal);
    }
    this.#readySerial = sn;
  }

  /**
   * Posts one batch (from `planBatches`, or a part of one) and says what Share did with it
   * (batch-result.ts). Readiness is established first when needed. Throws for anything that is not
   * about these readings: the account, the session, the slot, the network, the deadline.
   */
  async postBatch(serial: string, batch: EgvBatch, signal?: AbortSignal): Promise<BatchResult> {
    const sn = shareSerial(serial);
    assertBatchShape(batch);
    const invalid = invalidReadings(batch.readings);
    const first = invalid[0];
    if (first !== undefined) {
      return { kind: "refused", batch, culprits: invalid.map((i) => i.egv), error: first.error };
    }
    if (this.#readySerial !== sn) await this.ensureReady(sn, signal);
    return this.#postBatch(sn, batch, signal);
  }

  /**
   * Posts readings oldest first in batches of at most 50; see `PostOptions.onBatch` for the cursor.
   * Stops at the first batch with future readings (they and everything after are for a later
   * cycle) and throws at the first refused one.
   */
  async postEgvs(
    serial: string,
    readings: readonly ShareEgv[],
    options: PostOptions = {},
  ): Promise<PostResult> {
    const sn = shareSerial(serial);
    const batches = planBatches(readings);
    const acks: BatchAck[] = [];
    let acknowledged = 0;
    if (batches.length === 0) return { batches: acks, readings: 0, future: [] };
    if (this.#readySerial !== sn) await this.ensureReady(sn, options.signal);
    for (const [index, batch] of batches.entries()) {
      const result = await this.#postBatch(sn, batch, options.signal);
      if (result.kind === "refused") throw result.error;
      const stored = result.kind === "future" ? result.stored : batch.readings;
      if (stored.length > 0) {
        const ack = batchAck(result.kind, batch.taSeconds, stored);
        acks.push(ack);
        acknowledged += ack.count;
        await options.onBatch?.(ack);
      }
      if (result.kind === "future") {
        const later = batches.slice(index + 1).flatMap((b) => b.readings);
        return { batches: acks, readings: acknowledged, future: [...result.future, ...later] };
      }
    }
    return { batches: acks, readings: acknowledged, future: [] };
  }

  async #postBatch(sn: string, batch: EgvBatch, signal?: AbortSignal): Promise<BatchResult> {
    const body = postBody(sn, batch);
    const recovered = new Set<"monitoring" | "assignment">();
    for (;;) {
      try {
        const answer = await this.#o.call(OP.post, { body, signal });
        // Only an empty body acknowledges a post (share-api §18.6); the transport reads JSON null
        // and whitespace as empty.
        if (answer.kind !== "empty") {
          throw new SharebridgeError(
            "SHARE_PROTOCOL",
            `Share answered ${OP.post} with a body where only an empty answer acknowledges it; nothing is taken as stored`,
            { operation: OP.post, answer: typeof answer.value },
          );
        }
        return { kind: "stored", batch };
      } catch (error) {
        const kind = faultKindOf(error);
        if (kind === "duplicate") {
          this.#o.log.info(
            { count: batch.readings.length },
            "Share already had some of these readings; the rest are stored",
          );
          return { kind: "duplicate", batch };
        }
        if (kind === "future") return this.#future(batch, error);
        if (kind === "monitoring-not-active" && !recovered.has("monitoring")) {
          recovered.add("monitoring");
          this.#o.log.info({ serial: sn }, "remote monitoring session lost; starting it again");
          await this.startMonitoring(sn, signal);
          continue;
        }
        if (
          (kind === "receiver-not-assigned" || kind === "receiver-mismatch") &&
          !recovered.has("assignment")
        ) {
          recovered.add("assignment");
          this.#readySerial = undefined;
          await this.#restoreAssignment(sn, error, signal);
          await this.startMonitoring(sn, signal);
          this.#readySerial = sn;
          continue;
        }
        const refusal = contentRefusal(error);
        if (refusal !== undefined) {
          this.#o.log.warn(
            { count: batch.readings.length, err: refusal },
            "Share refused a batch of readings for its content",
          );
          return { kind: "refused", batch, culprits: undefined, error: refusal };
        }
        throw error;
      }
    }
  }

  #future(batch: EgvBatch, error: unknown): BatchResult {
    const message = isSharebridgeError(error) ? String(error.context["serverMessage"] ?? "") : "";
    const result = futureSplit(batch, message);
    this.#o.log.warn(
      {
        count: batch.readings.length,
        future: result.future.length,
        countKnown: result.countKnown,
        firstFutureStSeconds: result.future[0]?.stSeconds,
      },
      "Share called readings future and did not store them; check the host clock and the receiver clock",
    );
    return result;
  }

  /** Answers Start's / Post's assignment faults per the setting; rethrows anything else. */
  async #restoreAssignment(sn: string, error: unknown, signal?: AbortSignal): Promise<void> {
    const kind = faultKindOf(error);
    if (kind === "receiver-not-assigned") {
      await this.replaceReceiver(sn, signal);
      return;
    }
    if (kind !== "receiver-mismatch") throw error;
    const report = await this.#heldSlot(sn, "NotAssigned", signal);
    if (report.action !== "replace") throw refusedSlotError(report, error);
    this.#o.log.warn(
      { serial: sn, slot: report.slot, setting: report.setting, latestReadingMs: report.latestReadingMs },
      report.slot === "held-silent"
        ? "the Share account monitored another receiver, silent for 15 minutes; taking its place"
        : "the Share account monitored another receiver whose uploader is active; replacing it (share.replaceReceiver: always)",
    );
    await this.replaceReceiver(sn, signal);
  }

  /**
   * The slot holds another serial: silent or active? Asked whatever the setting, so that logs and
   * errors say exactly which case applied (one read, on this rare path only).
   */
  async #heldSlot(sn: string, status: AssignmentStatus, signal?: AbortSignal): Promise<AssignmentReport> {
    const latestMs = await this.#o.latestReading(ACTIVE_UPLOADER_MINUTES, signal);
    return latestMs === undefined
      ? this.#report(sn, status, "held-silent")
      : { ...this.#report(sn, status, "held-active"), latestReadingMs: latestMs };
  }

  #report(serial: string, status: AssignmentStatus, slot: SlotCase): AssignmentReport {
    const setting = this.#o.replaceReceiver;
    return { serial, status, slot, setting, action: slotAction(slot, setting) };
  }
}

function batchAck(outcome: BatchAck["outcome"], taSeconds: number, stored: readonly ShareEgv[]): BatchAck {
  const sts = stored.map((r) => r.stSeconds);
  return {
    outcome,
    count: stored.length,
    taSeconds,
    firstStSeconds: Math.min(...sts),
    lastStSeconds: Math.max(...sts),
  };
}
