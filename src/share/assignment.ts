/**
 * The account's monitored-receiver slot (share-api §4, §5.3, §18.3): what it holds, and whether
 * sharebridge may take it.
 *
 *   Check(serial) ── AssignedToYou ─────────────► ours
 *        │         └ AssignedToSomeoneElse ──────► another account owns the serial: never taken
 *        └ NotAssigned ─► Start(serial) ── MonitoredReceiverNotAssigned ───► the slot is free: assign
 *                                       └ ...SerialNumberDoesNotMatch ───► another serial holds it:
 *                                             Read(minutes 15, maxCount 1) ─ none ─► silent
 *                                                                          └ one ──► active
 *
 * A Start for a serial the account does not hold changes nothing, so the probe is safe to run from
 * `share login --serial`. Share does not say which serial holds the slot, nor who posted a reading:
 * a reading of ours from the last 15 minutes counts as activity too, so a slot taken from us moments
 * ago is left alone until 15 minutes pass without any reading.
 *
 * What is done about it is the `replaceReceiver` setting's: `auto` takes a free or silent slot and
 * refuses an active one (two uploaders would fight over it), `always` takes any slot, `never`
 * takes only a free one.
 */
import { SharebridgeError } from "../errors.js";
import type { ReplaceReceiverSetting } from "./settings.js";

export const ASSIGNMENT_STATUSES = ["AssignedToYou", "NotAssigned", "AssignedToSomeoneElse"] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

/** How far back a reading makes the slot's holder an active uploader (share-api §18.3). */
export const ACTIVE_UPLOADER_MINUTES = 15;

export type SlotCase =
  /** The account monitors this serial. */
  | "ours"
  /** The account monitors no receiver: the first post assigns this one. */
  | "free"
  /** Another serial holds the slot and the account has no reading in the last 15 minutes. */
  | "held-silent"
  /** Another serial holds the slot and a reading arrived in the last 15 minutes: another uploader is active. */
  | "held-active"
  /** The serial belongs to another Share account: it must be released there. */
  | "owned-elsewhere";

export type SlotAction = "none" | "assign" | "replace" | "refuse";

export interface AssignmentReport {
  /** The serial as Share was asked about it (upper case, share-api §18.2). */
  readonly serial: string;
  /** The answer of CheckMonitoredReceiverAssignmentStatus. */
  readonly status: AssignmentStatus;
  readonly slot: SlotCase;
  /** For `held-active`: the true time (WT) of the account's latest reading, epoch ms. */
  readonly latestReadingMs?: number;
  readonly setting: ReplaceReceiverSetting;
  /** What posting with this serial does under `setting`. */
  readonly action: SlotAction;
}

/** What the setting does about a slot. */
export function slotAction(slot: SlotCase, setting: ReplaceReceiverSetting): SlotAction {
  switch (slot) {
    case "ours":
      return "none";
    case "free":
      return "assign";
    case "owned-elsewhere":
      return "refuse";
    case "held-silent":
      return setting === "never" ? "refuse" : "replace";
    case "held-active":
      return setting === "always" ? "replace" : "refuse";
  }
}

/** What the slot holds for the receiver, for people (after "receiver SN: "), e.g. `share login --serial`. */
export function slotInWords(report: AssignmentReport): string {
  const setting = `share.replaceReceiver is "${report.setting}"`;
  switch (report.slot) {
    case "ours":
      return "this account's receiver";
    case "free":
      return "not assigned; the account monitors no receiver, so the first sync assigns it";
    case "owned-elsewhere":
      return "assigned to another Share account; release it there first";
    case "held-silent":
      return report.action === "replace"
        ? `the account monitors another receiver, silent for 15 minutes or more; the first sync takes its place (${setting})`
        : `the account monitors another receiver, silent for 15 minutes or more; sync stops (${setting}: set it to "auto" or "always" to take its place)`;
    case "held-active": {
      const ago =
        report.latestReadingMs === undefined
          ? "in the last 15 minutes"
          : `at ${new Date(report.latestReadingMs).toISOString().slice(0, 16).replace("T", " ")} UTC`;
      return report.action === "replace"
        ? `the account monitors another receiver whose uploader posted ${ago}; the first sync takes its place anyway (${setting})`
        : `the account monitors another receiver whose uploader posted ${ago}; sync stops (${setting}: stop the other uploader, or set it to "always")`;
    }
  }
}

/** The error posting stops with when the setting refuses the slot. */
export function refusedSlotError(report: AssignmentReport, cause?: unknown): SharebridgeError {
  return new SharebridgeError(
    "SHARE_ASSIGNMENT",
    `receiver ${report.serial}: ${slotInWords(report)}`,
    {
      serial: report.serial,
      slot: report.slot,
      setting: report.setting,
      key: "share.replaceReceiver",
      // Share's API does not reveal which serial holds the slot.
      otherSerial: null,
      ...(report.latestReadingMs === undefined ? {} : { latestReadingMs: report.latestReadingMs }),
    },
    cause === undefined ? undefined : { cause },
  );
}
