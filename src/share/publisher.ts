/**
 * The publisher side: the account's monitored receiver, the remote monitoring session and posting
 * readings (share-api §4, §5.3, §6, §14.1 items 3–5).
 *
 * Readiness (receiver assigned, monitoring started) is established before the first post for a
 * serial and then kept; when a post says it was lost, it is restored once and the post repeated
 * once. A second answer of the same kind is final and the caller backs off.
 *
 * Assignment policy (DESIGN §6): a serial no account owns is assigned to an account that monitors
 * no receiver; taking the slot from a different serial happens only with `replaceReceiver`; a
 * serial another account owns is never taken.
 */

import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import type { AuthedCaller } from "./authed-call.js";
import { assertSerial, type EgvBatch, planBatches, postBody, type ShareEgv } from "./egv.js";
import { faultKindOf } from "./fault.js";

export const ASSIGNMENT_STATUSES = ["AssignedToYou", "NotAssigned", "AssignedToSomeoneElse"] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

export interface BatchAck {
  /** `duplicate` and `future` are acknowledgements too: the cursor advances (share-api §6.5, §14.1 item 4). */
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
  readonly readings: number;
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
  readonly #call: AuthedCaller;
  readonly #replaceReceiver: boolean;
  readonly #log: Logger;
  /** The serial for which assignment and monitoring were established. */
  #readySerial: string | undefined;

  constructor(call: AuthedCaller, replaceReceiver: boolean, log: Logger) {
    this.#call = call;
    this.#replaceReceiver = replaceReceiver;
    this.#log = log;
  }

  /** Forget readiness (after a credentials reset: the account may be another one). */
  forgetReadiness(): void {
    this.#readySerial = undefined;
  }

  async assignmentStatus(serial: string, signal?: AbortSignal): Promise<AssignmentStatus> {
    assertSerial(serial);
    const answer = await this.#call(OP.check, { query: { serialNumber: serial }, signal });
    const value = answer.kind === "json" ? answer.value : undefined;
    if (typeof value === "string" && (ASSIGNMENT_STATUSES as readonly string[]).includes(value)) {
      return value as AssignmentStatus;
    }
    throw new SharebridgeError("SHARE_PROTOCOL", `unexpected answer to ${OP.check}`, {
      operation: OP.check,
      answer: typeof value === "string" ? value.slice(0, 40) : typeof value,
    });
  }

  /** Makes `serial` the account's monitored receiver; already being it counts as success. */
  async replaceReceiver(serial: string, signal?: AbortSignal): Promise<void> {
    assertSerial(serial);
    try {
      // The answer (a UUID in the official app, share-api §15 #8) carries nothing the client needs.
      await this.#call(OP.replace, { query: { serialNumber: serial }, signal });
      this.#log.info({ serial }, "assigned the receiver to the Share account");
    } catch (error) {
      if (faultKindOf(error) === "serial-already-yours") return;
      if (faultKindOf(error) === "serial-owned-elsewhere") throw ownedElsewhere(serial, error);
      throw error;
    }
  }

  async isMonitoringActive(signal?: AbortSignal): Promise<boolean> {
    const answer = await this.#call(OP.isActive, { signal });
    if (answer.kind === "json" && typeof answer.value === "boolean") return answer.value;
    throw new SharebridgeError("SHARE_PROTOCOL", `unexpected answer to ${OP.isActive}`, {
      operation: OP.isActive,
    });
  }

  /** Starts the remote monitoring session; "already active" is success (share-api §9.3). */
  async startMonitoring(serial: string, signal?: AbortSignal): Promise<void> {
    assertSerial(serial);
    try {
      await this.#call(OP.start, { query: { serialNumber: serial }, signal });
    } catch (error) {
      if (faultKindOf(error) !== "monitoring-already-active") throw error;
    }
  }

  async stopMonitoring(signal?: AbortSignal): Promise<void> {
    await this.#call(OP.stop, { signal });
    this.#readySerial = undefined;
  }

  /**
   * Check → (assign) → Start, before the first post for `serial` (share-api §14.1 item 3).
   * A free serial is tried with Start first: its answer tells an account without a receiver
   * (assign freely) from one that monitors another serial (replace only if allowed).
   */
  async ensureReady(serial: string, signal?: AbortSignal): Promise<void> {
    const status = await this.assignmentStatus(serial, signal);
    if (status === "AssignedToSomeoneElse") throw ownedElsewhere(serial);
    try {
      await this.startMonitoring(serial, signal);
    } catch (error) {
      await this.#restoreAssignment(serial, error, signal);
      await this.startMonitoring(serial, signal);
    }
    this.#readySerial = serial;
  }

  /** Posts readings oldest first in batches of at most 50; see `PostOptions.onBatch` for the cursor. */
  async postEgvs(
    serial: string,
    readings: readonly ShareEgv[],
    options: PostOptions = {},
  ): Promise<PostResult> {
    assertSerial(serial);
    const batches = planBatches(readings);
    const acks: BatchAck[] = [];
    if (batches.length === 0) return { batches: acks, readings: 0 };
    if (this.#readySerial !== serial) await this.ensureReady(serial, options.signal);
    for (const batch of batches) {
      const ack = await this.#postBatch(serial, batch, options.signal);
      acks.push(ack);
      await options.onBatch?.(ack);
    }
    return { batches: acks, readings: readings.length };
  }

  async #postBatch(serial: string, batch: EgvBatch, signal?: AbortSignal): Promise<BatchAck> {
    const body = postBody(serial, batch) as Record<string, unknown>;
    const recovered = new Set<"monitoring" | "assignment">();
    for (;;) {
      try {
        await this.#call(OP.post, { body, signal });
        return ack("stored", batch);
      } catch (error) {
        const kind = faultKindOf(error);
        if (kind === "duplicate") {
          this.#log.info(
            { count: batch.readings.length },
            "Share already had some of these readings; the rest are stored",
          );
          return ack("duplicate", batch);
        }
        if (kind === "future") {
          this.#log.warn(
            { count: batch.readings.length, lastStSeconds: ack("future", batch).lastStSeconds },
            "Share dropped readings it considers in the future; check the host clock and the receiver clock",
          );
          return ack("future", batch);
        }
        if (kind === "monitoring-not-active" && !recovered.has("monitoring")) {
          recovered.add("monitoring");
          this.#log.info({ serial }, "remote monitoring session lost; starting it again");
          await this.startMonitoring(serial, signal);
          continue;
        }
        if (
          (kind === "receiver-not-assigned" || kind === "receiver-mismatch") &&
          !recovered.has("assignment")
        ) {
          recovered.add("assignment");
          this.#readySerial = undefined;
          await this.#restoreAssignment(serial, error, signal);
          await this.startMonitoring(serial, signal);
          this.#readySerial = serial;
          continue;
        }
        throw error;
      }
    }
  }

  /** Answers Start's / Post's assignment faults per the policy above; rethrows anything else. */
  async #restoreAssignment(serial: string, error: unknown, signal?: AbortSignal): Promise<void> {
    const kind = faultKindOf(error);
    if (kind === "receiver-not-assigned") {
      await this.replaceReceiver(serial, signal);
      return;
    }
    if (kind === "receiver-mismatch") {
      if (!this.#replaceReceiver) {
        throw new SharebridgeError(
          "SHARE_ASSIGNMENT",
          `the Share account monitors a different receiver than ${serial}; set share.replaceReceiver to true to let sharebridge replace it`,
          { serial, operation: OP.start, shareCode: "MonitoredReceiverSerialNumberDoesNotMatch" },
          { cause: error },
        );
      }
      this.#log.warn(
        { serial },
        "the Share account monitored a different receiver; replacing it (share.replaceReceiver)",
      );
      await this.replaceReceiver(serial, signal);
      return;
    }
    throw error;
  }
}

function ownedElsewhere(serial: string, cause?: unknown): SharebridgeError {
  return new SharebridgeError(
    "SHARE_ASSIGNMENT",
    `receiver ${serial} is assigned to another Share account; release it there (or sign that uploader out) first`,
    { serial, shareCode: "AssignedToSomeoneElse" },
    cause === undefined ? undefined : { cause },
  );
}

function ack(outcome: BatchAck["outcome"], batch: EgvBatch): BatchAck {
  const first = batch.readings[0];
  const last = batch.readings[batch.readings.length - 1];
  return {
    outcome,
    count: batch.readings.length,
    taSeconds: batch.taSeconds,
    firstStSeconds: first?.stSeconds ?? 0,
    lastStSeconds: last?.stSeconds ?? 0,
  };
}
