/**
 * `sharebridge status` (DESIGN.md §8: "receiver present, serial, battery, last reading and its age,
 * last post and its age, backlog, clock offset, auth state"): the daemon's state file, read without
 * repairing it (it belongs to the daemon), plus a quick probe of the receiver.
 *
 * The report is also the `--json` document. Its keys are stable (scripts rely on them); times are
 * ISO 8601 UTC strings, ages whole seconds (negative when the time lies in the future), and a value
 * that is not known is null, never absent:
 *
 *   now            ISO time of the report
 *   stateFile      { path, state: "ok"|"absent"|"unreadable"|"corrupt", problem: string|null }
 *   receiver       { present, inUse, device, serial, generation, productName, firmwareVersion,
 *                    batteryPercent, batteryState, problem: string|null }   (the probe; null fields when
 *                    absent; inUse: another program, normally the running daemon, holds the port)
 *   serial         the receiver the following facts are about: the one answering, else the last synced
 *   lastReading    { glucose (mg/dL), trend (name), at, ageSeconds } | null
 *   lastPost       { at, ageSeconds } | null            (Share's last acknowledgement)
 *   clockOffset    { seconds (true UTC − receiver system clock), since } | null
 *   backlog        readings not yet on Share after the last cycle | null
 *   held           { firstIndex, cycles, since } | null: readings Share called future, cycles in a row
 *   quarantined    [{ index, st, glucose, fault, since, lastTried }]: readings Share keeps refusing
 *   auth           { state: "not-configured"|"never-logged-in"|"ok"|"credentials-rejected"|"locked-out"|
 *                    "lockout-over", account, origin, since, until, reason }
 *   lastCycle      { at, ageSeconds, outcome, error: string|null, backlog: number|null } | null
 *   findings       [string]: what needs attention, in words, most important first; [] when all is well
 *
 * Nothing in it is a secret: no password, no session id (the state file holds none, state.ts).
 */

import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { type Logger, silentLogger } from "../log.js";
import { trendName } from "../share/trend.js";
import { HELD_AFTER_CYCLES, parseShareNotes } from "../sinks/share-notes.js";
import { SHARE_SINK_NAME } from "../sinks/share-sink.js";
import { parseState, type ReceiverState, type SyncState, serialKey } from "../sync/state.js";
import { inspectStateFile, STATE_FILE_NAME } from "../sync/state-store.js";
import { countOf } from "../util/plural.js";
import { type AuthState, summarizeAuth } from "./auth-state.js";
import { type ProbeDevice, type ProbeOptions, probeReceiver, type ReceiverProbe } from "./receiver-probe.js";
import { ageInWords, durationInWords, isoOrNull, isValidTime } from "./words.js";

export type StateFileState = "ok" | "absent" | "unreadable" | "corrupt";

export interface StatusReport {
  readonly now: string;
  readonly stateFile: {
    readonly path: string;
    readonly state: StateFileState;
    readonly problem: string | null;
  };
  /** The probe's findings, its error in words. */
  readonly receiver: Omit<ReceiverProbe, "error"> & { readonly problem: string | null };
  readonly serial: string | null;
  readonly lastReading: {
    readonly glucose: number;
    readonly trend: string;
    readonly at: string;
    readonly ageSeconds: number;
  } | null;
  readonly lastPost: { readonly at: string; readonly ageSeconds: number } | null;
  readonly backlog: number | null;
  readonly held: {
    readonly firstIndex: number;
    readonly cycles: number;
    readonly since: string | null;
  } | null;
  readonly quarantined: readonly {
    readonly index: number;
    readonly st: string | null;
    readonly glucose: number;
    readonly fault: string;
    readonly since: string | null;
    readonly lastTried: string | null;
  }[];
  readonly clockOffset: { readonly seconds: number; readonly since: string | null } | null;
  readonly auth: {
    readonly state: AuthState;
    readonly account: string | null;
    readonly origin: string | null;
    readonly since: string | null;
    readonly until: string | null;
    readonly reason: string | null;
  };
  readonly lastCycle: {
    readonly at: string;
    readonly ageSeconds: number;
    readonly outcome: string;
    readonly error: string | null;
    readonly backlog: number | null;
  } | null;
  readonly findings: readonly string[];
}

export interface StatusOptions {
  readonly config: Config;
  /** The configured receiver, ready to open (the CLI builds it from `--device`/`device`). */
  readonly device: ProbeDevice;
  readonly now?: () => number;
  readonly probe?: ProbeOptions;
  readonly log?: Logger;
}

type StateRead =
  | { readonly state: "ok"; readonly document: SyncState }
  | { readonly state: Exclude<StateFileState, "ok">; readonly problem: string | null };

/** Reads and validates the state file without touching it (no set-aside, no rewrite, no contents quoted). */
export function readStateForStatus(path: string): Promise<StateRead> {
  return inspectStateFile(path, parseState);
}

const ageSeconds = (thenMs: number, nowMs: number) => Math.round((nowMs - thenMs) / 1000);

/** What the Share sink set aside or holds back (sinks/share-notes.ts). */
function shareNotesFacts(receiver: ReceiverState | undefined) {
  const notes = parseShareNotes(receiver?.sinks?.[SHARE_SINK_NAME]?.notes);
  return {
    held:
      notes.held === undefined
        ? null
        : {
            firstIndex: notes.held.firstIndex,
            cycles: notes.held.cycles,
            since: isoOrNull(notes.held.sinceMs),
          },
    quarantined: notes.quarantine.map((q) => ({
      index: q.index,
      st: isoOrNull(q.egv.stSeconds * 1000),
      glucose: q.egv.glucose,
      fault: q.fault,
      since: isoOrNull(q.sinceMs),
      lastTried: isoOrNull(q.lastTriedMs),
    })),
  };
}

function readingFacts(receiver: ReceiverState | undefined, nowMs: number) {
  const reading = receiver?.lastReading;
  const post = receiver?.sinks?.[SHARE_SINK_NAME]?.lastDeliveredUtcMs;
  const offset = receiver?.heldOffset;
  return {
    lastReading:
      reading !== undefined && isValidTime(reading.utcMs)
        ? {
            glucose: reading.glucose,
            trend: trendName(reading.trend),
            at: new Date(reading.utcMs).toISOString(),
            ageSeconds: ageSeconds(reading.utcMs, nowMs),
          }
        : null,
    lastPost:
      post !== undefined && isValidTime(post)
        ? { at: new Date(post).toISOString(), ageSeconds: ageSeconds(post, nowMs) }
        : null,
    clockOffset:
      offset === undefined ? null : { seconds: offset.offsetSeconds, since: isoOrNull(offset.sinceUtcMs) },
  };
}

export async function collectStatus(options: StatusOptions): Promise<StatusReport> {
  const now = options.now ?? Date.now;
  const path = join(options.config.stateDir, STATE_FILE_NAME);
  const [stateRead, probe] = await Promise.all([
    readStateForStatus(path),
    probeReceiver(options.device, { log: options.log ?? silentLogger, ...options.probe }),
  ]);
  const nowMs = now();
  const state = stateRead.state === "ok" ? stateRead.document : undefined;
  const serial = probe.serial ?? state?.lastSerial ?? null;
  const receiverState = serial === null ? undefined : state?.receivers[serialKey(serial)];
  const facts = { ...readingFacts(receiverState, nowMs), ...shareNotesFacts(receiverState) };
  const auth = summarizeAuth(options.config, state, nowMs);
  const cycle = state?.lastCycle;

  const report: Omit<StatusReport, "findings"> = {
    now: new Date(nowMs).toISOString(),
    stateFile: {
      path,
      state: stateRead.state,
      problem: stateRead.state === "ok" ? null : stateRead.problem,
    },
    receiver: {
      present: probe.present,
      inUse: probe.inUse,
      device: probe.device,
      serial: probe.serial,
      generation: probe.generation,
      productName: probe.productName,
      firmwareVersion: probe.firmwareVersion,
      batteryPercent: probe.batteryPercent,
      batteryState: probe.batteryState,
      problem: probe.error === null ? null : `${probe.error.message} [${probe.error.code}]`,
    },
    serial,
    ...facts,
    backlog: cycle?.backlog ?? null,
    auth: {
      state: auth.state,
      account: auth.account,
      origin: auth.origin,
      since: isoOrNull(auth.sinceMs ?? undefined),
      until: isoOrNull(auth.untilMs ?? undefined),
      reason: auth.reason,
    },
    lastCycle:
      cycle !== undefined && isValidTime(cycle.atMs)
        ? {
            at: new Date(cycle.atMs).toISOString(),
            ageSeconds: ageSeconds(cycle.atMs, nowMs),
            outcome: cycle.outcome,
            error: cycle.error ?? null,
            backlog: cycle.backlog ?? null,
          }
        : null,
  };
  return { ...report, findings: findingsOf(report, state, options.config.readingIntervalSeconds, nowMs) };
}

/** What needs attention, most important first. */
function findingsOf(
  report: Omit<StatusReport, "findings">,
  state: SyncState | undefined,
  readingIntervalSeconds: number,
  nowMs: number,
): string[] {
  const findings: string[] = [];
  const { stateFile, receiver, auth, lastCycle, lastPost, backlog, held, quarantined } = report;
  const intervalMs = readingIntervalSeconds * 1000;
  const daemonActive = lastCycle !== null && lastCycle.ageSeconds * 1000 <= 2 * intervalMs;
  if (receiver.inUse) {
    // The daemon holds the port while it runs: expected, unless it has not completed a cycle lately.
    if (!daemonActive) {
      findings.push(
        `the receiver's port is held by another program, and no sync cycle completed lately: ${receiver.problem ?? ""}`,
      );
    }
  } else if (!receiver.present) {
    findings.push(`no receiver answered: ${receiver.problem ?? "unknown reason"}`);
  } else if (state?.lastSerial !== undefined && receiver.serial !== null) {
    if (serialKey(receiver.serial) !== serialKey(state.lastSerial)) {
      findings.push(
        `the receiver plugged in (${receiver.serial}) is not the one last synced (${state.lastSerial}); the next sync starts a new history for it`,
      );
    }
  }
  if (stateFile.state === "unreadable") {
    findings.push(
      `the state file ${stateFile.path} is unreadable (${stateFile.problem}): run status as the service's user, or with sudo`,
    );
  } else if (stateFile.state === "corrupt") {
    findings.push(
      `the state file ${stateFile.path} is corrupt (${stateFile.problem}): the daemon will keep a copy and start from a safe default`,
    );
  } else if (stateFile.state === "absent") {
    findings.push(`no state file at ${stateFile.path} yet: no sync has completed with this state directory`);
  }
  if (auth.state === "credentials-rejected") {
    findings.push(
      "Share refused the credentials: fix the username, password or region, then run `sharebridge share login` (nothing is retried until then)",
    );
  } else if (auth.state === "locked-out") {
    findings.push(
      "Share locked the account after failed logins: no login is attempted until the lockout ends",
    );
  }
  if (lastCycle !== null) {
    const ageMs = lastCycle.ageSeconds * 1000;
    if (lastCycle.error !== null)
      findings.push(`the last cycle ended with "${lastCycle.outcome}": ${lastCycle.error}`);
    if (ageMs > 2 * intervalMs) {
      findings.push(
        `no sync cycle for ${durationInWords(lastCycle.ageSeconds)}: is the daemon (\`sharebridge run\`) running?`,
      );
    }
  }
  if (held !== null && held.cycles >= HELD_AFTER_CYCLES) {
    findings.push(
      `Share has called readings future for ${countOf(held.cycles, "cycle")} in a row: they are held, not lost; check the host's clock (timedatectl)`,
    );
  }
  if (quarantined.length > 0) {
    findings.push(
      `${countOf(quarantined.length, "reading")} that Share keeps refusing (${[...new Set(quarantined.map((q) => q.fault))].join(", ")}): set aside, tried again once a day`,
    );
  }
  if (backlog !== null && backlog > 0) {
    const since =
      lastPost === null ? "nothing posted yet" : `last post ${ageInWords(Date.parse(lastPost.at), nowMs)}`;
    findings.push(`${countOf(backlog, "reading")} not yet on Share (${since})`);
  }
  return findings;
}
