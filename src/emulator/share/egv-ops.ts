/**
 * Posting and reading readings (share-api §6, §7, §14.2).
 *
 * Post: the serial must be the account's monitored receiver (compared exactly unless serialMatch says
 * otherwise, share-api §18.2) and the monitoring session must be on. A trend outside 0..7 (under the
 * strict trendRange, §18.1) or a reading the `refuse` knob names refuses the whole post with
 * InvalidArgument, nothing stored. WT = ST + TA × 1000 (the sign is a knob, share-api §15 #1).
 * Readings with WT beyond now + the tolerance are dropped; readings already stored are skipped; the
 * rest are stored and the answer is then FutureEgvPosted, DuplicateEgvPosted or an empty 200 (§6.5).
 *
 * Read: readings with WT in the last `minutes`, newest first, at most `maxCount`, in the modern or
 * legacy format (share-api §7.2). DT carries WT's instant and the offset the uploader's DT implied.
 */
import { formatOffsetSuffix, parseShareDate } from "../../share/dates.js";
import { parseTrend, TREND_NAMES } from "../../share/trend.js";
import type { AccountRecord, StoredEgv } from "./model.js";
import {
  type AuthedContext,
  bodyObject,
  empty,
  fault,
  invalidArgument,
  json,
  nonEmptyString,
  type Operation,
  type Reply,
} from "./operation.js";
import { monitoringActive, serialIn } from "./publisher-ops.js";

const MAX_EGVS_PER_POST = 10_000;
const MAX_ABS_TA = 2 ** 31;
/** Beyond ±14 h a DT − ST difference is not a time zone; show +0000 (share-api §14.2 [inf]). */
const MAX_OFFSET_MINUTES = 14 * 60;

function displayOffset(ctx: AuthedContext, stMs: number, dtMs: number): number {
  if (ctx.knobs.dtOffsetSource === "fixed") return ctx.knobs.fixedDtOffsetMinutes;
  const minutes = Math.round((dtMs - stMs) / 60_000);
  return Math.abs(minutes) <= MAX_OFFSET_MINUTES ? minutes : 0;
}

type Parsed = {
  readonly stMs: number;
  readonly dtMs: number;
  readonly value: number;
  readonly trend: number;
};

function parseEgvs(raw: unknown, ctx: AuthedContext): Parsed[] | Reply {
  const maxTrend = ctx.knobs.trendRange === "0-7" ? 7 : 9;
  const { values, stMs } = ctx.knobs.faults.refuse;
  if (!Array.isArray(raw) || raw.length > MAX_EGVS_PER_POST) return invalidArgument("Egvs");
  const parsed: Parsed[] = [];
  for (const [i, element] of raw.entries()) {
    const egv = bodyObject(element);
    const st = parseShareDate(egv?.["ST"]);
    const dt = parseShareDate(egv?.["DT"]);
    const value = egv?.["Value"];
    const trend = parseTrend(egv?.["Trend"]);
    if (st === undefined) return invalidArgument(`Egvs[${i}].ST`);
    if (dt === undefined) return invalidArgument(`Egvs[${i}].DT`);
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 1000) {
      return invalidArgument(`Egvs[${i}].Value`);
    }
    if (trend === undefined || trend > maxTrend) return invalidArgument(`Egvs[${i}].Trend`);
    if (values.includes(value) || stMs.includes(st.ms)) return invalidArgument(`Egvs[${i}]`);
    parsed.push({ stMs: st.ms, dtMs: dt.ms, value, trend });
  }
  return parsed;
}

function post(ctx: AuthedContext): Reply {
  const body = bodyObject(ctx.body);
  const posted = body?.["SN"];
  if (!nonEmptyString(posted) || posted.length > 64) return invalidArgument("SN");
  const sn = serialIn(ctx, posted);
  const account = ctx.account;
  if (account.assignedSerial === undefined) {
    return fault(
      "MonitoredReceiverNotAssigned",
      "Publisher account does not have a valid monitored receiver.",
    );
  }
  if (account.assignedSerial !== sn) {
    return fault(
      "MonitoredReceiverSerialNumberDoesNotMatch",
      "The serial number does not match the monitored receiver.",
    );
  }
  if (!monitoringActive(ctx, account)) {
    return fault(
      "MonitoringSessionNotActive",
      "Publisher account does not have an active monitoring session.",
    );
  }
  // Every client sends TA; the official app's default is 0 (share-api §6.1), so absent means 0.
  const ta = body?.["TA"] ?? 0;
  if (typeof ta !== "number" || !Number.isInteger(ta) || Math.abs(ta) > MAX_ABS_TA)
    return invalidArgument("TA");
  const egvs = parseEgvs(body?.["Egvs"], ctx);
  if (!Array.isArray(egvs)) return egvs;

  let future = 0;
  let duplicates = 0;
  for (const egv of egvs) {
    const wtMs = egv.stMs + ctx.knobs.taSign * ta * 1000;
    if (wtMs > ctx.now + ctx.knobs.futureToleranceMs) {
      future++;
      continue;
    }
    const second = Math.floor((ctx.knobs.duplicateKey === "st" ? egv.stMs : wtMs) / 1000);
    const stored: StoredEgv = {
      key: `${sn}|${second}`,
      sn,
      stMs: egv.stMs,
      wtMs,
      dtOffsetMinutes: displayOffset(ctx, egv.stMs, egv.dtMs),
      value: egv.value,
      trend: egv.trend,
    };
    if (!ctx.state.storeEgv(account, stored)) duplicates++;
  }
  if (future > 0)
    return fault("FutureEgvPosted", `${future} EGV record(s) are in the future and were not stored.`);
  if (duplicates > 0) return fault("DuplicateEgvPosted", `${duplicates} EGV record(s) were already posted.`);
  return empty;
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

function readElement(ctx: AuthedContext, egv: StoredEgv): Record<string, unknown> {
  const legacy = ctx.knobs.dateStyle === "legacy";
  const date = (ms: number, offset?: number) => {
    const inner = `Date(${ms}${offset === undefined ? "" : formatOffsetSuffix(offset)})`;
    return legacy ? `/${inner}/` : inner;
  };
  const trend = ctx.knobs.trendStyle === "name" ? TREND_NAMES[egv.trend] : egv.trend;
  const wt = date(egv.wtMs);
  const st = date(egv.stMs);
  const dt = date(egv.wtMs, egv.dtOffsetMinutes);
  // Key order as captured: modern WT, ST, DT, Value, Trend; 2015 DT, ST, Trend, Value, WT (share-api §7.2).
  return legacy
    ? { DT: dt, ST: st, Trend: trend, Value: egv.value, WT: wt }
    : { WT: wt, ST: st, DT: dt, Value: egv.value, Trend: trend };
}

function read(ctx: AuthedContext): Reply {
  const minutes = wholeNumber(ctx.query("minutes"));
  const maxCount = wholeNumber(ctx.query("maxCount"));
  if (minutes === undefined) return invalidArgument("minutes");
  if (maxCount === undefined) return invalidArgument("maxCount");
  const account: AccountRecord = ctx.account;
  // minutes=0 or maxCount=0 answers [] (share-api §7.1, recorded by pydexcom).
  if (minutes === 0 || maxCount === 0) return json([]);
  if (ctx.knobs.requireFollowerForRead && !ctx.state.hasFollower(account)) return json([]);
  const from = ctx.now - minutes * 60_000;
  const out: Record<string, unknown>[] = [];
  for (let i = account.egvs.length - 1; i >= 0 && out.length < maxCount; i--) {
    const egv = account.egvs[i];
    if (egv === undefined || egv.wtMs < from) break;
    out.push(readElement(ctx, egv));
  }
  return json(out);
}

export const EGV_OPERATIONS: Readonly<Record<string, Operation>> = {
  "Publisher/PostReceiverEgvRecords": { method: "POST", auth: "query-session", mutates: true, handle: post },
  "Publisher/ReadPublisherLatestGlucoseValues": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    nullSessionEmpty: true,
    handle: read,
  },
};
