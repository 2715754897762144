/**
 * The alert conditions (issue: alerts), judged from the daemon's snapshot and the quarantined
 * readings, as plain functions of those facts and the time:
 *
 *   uploads-stopped      no reading reached Share for `afterMinutes`, while the receiver has readings
 *                        Share lacks (one newer than the last post), or while sharebridge waits for
 *                        Share, a clock or a person (not while share-login holds: that alert says it)
 *   share-login          Share refused the password, or locked the account (at once)
 *   receiver-missing     the receiver has been missing for `afterMinutes`
 *   receiver-battery     the receiver's battery is under 20 % (clears at 25 %, so a level that wavers
 *                        around 20 does not start and clear over and over)
 *   reading-quarantined  Share refuses a reading for its content (set aside, retried daily)
 *
 * The texts are built from these facts alone: numbers, times and fixed words. No error message, no
 * serial, no account name, no address: an alert goes to a third party's server.
 */
import type { DaemonSnapshot } from "../../sync/daemon-status.js";
import { countOf } from "../../util/plural.js";
import { durationInWords } from "../words.js";

export const CONDITIONS = [
  "uploads-stopped",
  "share-login",
  "receiver-missing",
  "receiver-battery",
  "reading-quarantined",
] as const;
export type ConditionId = (typeof CONDITIONS)[number];

/** Battery under this, percent, starts the condition; at or above CLEAR it clears. */
export const BATTERY_LOW_PERCENT = 20;
export const BATTERY_CLEAR_PERCENT = 25;

export interface AlertFacts {
  readonly snapshot: DaemonSnapshot;
  /** Readings Share refuses for their content, as far as this process heard (outcome events). */
  readonly quarantined: number;
  /** Since when the receiver has been missing without a break (the monitor keeps it), or undefined. */
  readonly receiverMissingSinceMs: number | undefined;
}

/** A condition that holds now, and what the alert says about it. */
export interface ActiveCondition {
  readonly title: string;
  readonly message: string;
}

const WAITING_PHASES: ReadonlySet<string> = new Set([
  "waiting-for-share",
  "waiting-for-clock",
  "waiting-for-operator",
]);

const utcClock = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

function uploadsStopped(facts: AlertFacts, afterMs: number): ActiveCondition | undefined {
  const s = facts.snapshot;
  const since = s.lastPostUtcMs ?? s.startedAtMs;
  const silentMs = s.nowMs - since;
  if (silentMs < afterMs) return undefined;
  const newerReading = s.lastReading !== undefined && s.lastReading.utcMs > since;
  if (!newerReading && !WAITING_PHASES.has(s.phase)) return undefined;
  const last =
    s.lastPostUtcMs === undefined ? "since sharebridge started" : `since ${utcClock(s.lastPostUtcMs)}`;
  const waiting = s.backlog > 0 ? ` ${countOf(s.backlog, "reading")} waiting on the receiver.` : "";
  return {
    title: "sharebridge: uploads to Share stopped",
    message: `No reading has reached Dexcom Share for ${durationInWords(silentMs / 1000)} (${last}).${waiting} Followers see no new readings. Check the status page.`,
  };
}

function shareLogin(facts: AlertFacts): ActiveCondition | undefined {
  const login = facts.snapshot.shareLogin;
  if (login?.state === "credentials-rejected") {
    return {
      title: "sharebridge: Share refused the password",
      message:
        "Dexcom Share refused the account's password: nothing is posted until it is fixed (then run sharebridge share login).",
    };
  }
  if (login?.state === "locked-out") {
    const until = login.untilMs === undefined ? "" : ` until ${utcClock(login.untilMs)}`;
    return {
      title: "sharebridge: Share locked the account",
      message: `Dexcom Share locked the account after failed logins${until}: nothing is posted meanwhile.`,
    };
  }
  return undefined;
}

function receiverMissing(facts: AlertFacts, afterMs: number): ActiveCondition | undefined {
  const since = facts.receiverMissingSinceMs;
  if (since === undefined || facts.snapshot.nowMs - since < afterMs) return undefined;
  return {
    title: "sharebridge: the receiver is missing",
    message: `The receiver has not answered for ${durationInWords((facts.snapshot.nowMs - since) / 1000)}: check its cable and that it is switched on.`,
  };
}

function receiverBattery(facts: AlertFacts, active: boolean): ActiveCondition | undefined {
  const percent = facts.snapshot.battery?.percent;
  if (percent === undefined || percent === null) return undefined;
  const low = active ? percent < BATTERY_CLEAR_PERCENT : percent < BATTERY_LOW_PERCENT;
  if (!low) return undefined;
  return {
    title: "sharebridge: receiver battery low",
    message: `The receiver's battery is at ${percent} %: charge it, or check that its USB cable charges.`,
  };
}

function readingQuarantined(facts: AlertFacts): ActiveCondition | undefined {
  if (facts.quarantined === 0) return undefined;
  return {
    title: "sharebridge: Share refuses a reading",
    message: `Dexcom Share refuses ${countOf(facts.quarantined, "reading")} for its content; sharebridge retries daily and keeps posting the others.`,
  };
}

/**
 * Which conditions hold now. `active` says which held at the last look (for the battery's two
 * thresholds).
 */
export function evaluateConditions(
  facts: AlertFacts,
  afterMinutes: number,
  active: ReadonlySet<ConditionId>,
): Map<ConditionId, ActiveCondition> {
  const afterMs = afterMinutes * 60_000;
  const login = shareLogin(facts);
  const found: [ConditionId, ActiveCondition | undefined][] = [
    // A refused or locked login stops uploads too: its own alert says why, once.
    ["uploads-stopped", login === undefined ? uploadsStopped(facts, afterMs) : undefined],
    ["share-login", login],
    ["receiver-missing", receiverMissing(facts, afterMs)],
    ["receiver-battery", receiverBattery(facts, active.has("receiver-battery"))],
    ["reading-quarantined", readingQuarantined(facts)],
  ];
  return new Map(found.filter((entry): entry is [ConditionId, ActiveCondition] => entry[1] !== undefined));
}

/** The all-clear for a condition. */
export function clearedText(id: ConditionId): ActiveCondition {
  const words: Readonly<Record<ConditionId, ActiveCondition>> = {
    "uploads-stopped": {
      title: "sharebridge: uploads to Share resumed",
      message: "Readings reach Dexcom Share again.",
    },
    "share-login": {
      title: "sharebridge: Share login works again",
      message: "Dexcom Share accepts the login again.",
    },
    "receiver-missing": {
      title: "sharebridge: the receiver is back",
      message: "The receiver answers again.",
    },
    "receiver-battery": {
      title: "sharebridge: receiver battery charged",
      message: `The receiver's battery is at ${BATTERY_CLEAR_PERCENT} % or more again.`,
    },
    "reading-quarantined": {
      title: "sharebridge: no reading refused any more",
      message: "Dexcom Share no longer refuses any reading.",
    },
  };
  return words[id];
}
