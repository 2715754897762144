/**
 * The status page as HTML: one small document, no script, no font, no image, no external request;
 * it refreshes itself every 30 s (meta refresh keeps the 3 h / 24 h choice in the address). Made
 * for a phone held by a parent at night: large type, high contrast (and a dark variant when the
 * phone asks for one), and colour never the only signal: low and high are written as words.
 *
 * Every text from outside (an error's words, a serial) is escaped. The style is one inline block
 * whose hash goes into the Content-Security-Policy, which allows nothing else.
 */
import { createHash } from "node:crypto";
import { countOf } from "../../util/plural.js";
import { ageInWords, durationInWords } from "../words.js";
import { escapeHtml } from "./html-text.js";
import { chartSvg, timeOfDay } from "./page-chart.js";
import type { PageFacts } from "./page-facts.js";

/** How often the page reloads itself, seconds. */
export const REFRESH_SECONDS = 30;
/** A newest reading older than this is called out: the receiver should give one every 5 min. */
const STALE_SECONDS = 15 * 60;

const STYLE = `
:root{color-scheme:light dark;--fg:#111;--bg:#fff;--muted:#444;--line:#bbb;--band:#d8f0dc;--low:#b00020;--high:#a65300;--ok:#1b5e20;--warn-bg:#fff3cd}
@media (prefers-color-scheme:dark){:root{--fg:#f4f4f4;--bg:#000;--muted:#ccc;--line:#555;--band:#12351a;--low:#ff6b6b;--high:#ffb347;--ok:#7bd88f;--warn-bg:#3a2f00}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:18px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1rem;font-weight:600;margin:0 0 .5rem;color:var(--muted)}
h2{font-size:1.1rem;margin:1.2rem 0 .3rem}
.now{border-left:.6rem solid var(--ok);padding:.2rem 0 .2rem .9rem;margin:.5rem 0 1rem}
.now.r-low,.now.r-ulow{border-color:var(--low)}.now.r-high{border-color:var(--high)}
.value{font-size:4.2rem;font-weight:700;line-height:1;margin:0}
.value .unit{font-size:1.4rem;font-weight:600}
.value .arrow{font-size:3.4rem;margin-left:.4rem}
.range{font-size:1.6rem;font-weight:700;margin:.3rem 0;text-transform:uppercase;letter-spacing:.03em}
.r-low .range,.r-ulow .range{color:var(--low)}.r-high .range{color:var(--high)}.r-in .range{color:var(--ok)}
.detail{margin:0;color:var(--muted)}
.stale{font-weight:700;color:var(--fg)}
.waiting{background:var(--warn-bg);border:2px solid var(--high);padding:.6rem .8rem;margin:0 0 1rem}
.waiting p{margin:0;font-weight:700}.waiting p.why{font-weight:400;font-size:.85rem;margin-top:.3rem;overflow-wrap:anywhere}
nav a{display:inline-block;padding:.3rem .9rem;border:2px solid var(--line);color:var(--fg);text-decoration:none;margin-right:.4rem;border-radius:.3rem}
nav a[aria-current]{border-color:var(--fg);font-weight:700}
svg.chart{width:100%;height:auto;display:block;margin:.5rem 0}
.band{fill:var(--band)}.frame{fill:none;stroke:var(--line)}
.grid{stroke:var(--line);stroke-width:.5}.grid.target{stroke:var(--ok);stroke-width:1;stroke-dasharray:4 3}
.tick{stroke:var(--muted)}
.ylabel,.xlabel,.unit{fill:var(--fg);font-size:15px}.ylabel{text-anchor:end}.xlabel{text-anchor:middle}.unit{font-weight:700}
.p{fill:var(--fg)}.p.low{fill:var(--low)}.p.high{fill:var(--high)}
.legend{font-size:.9rem;color:var(--muted);margin:0}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem;margin:0}
dt{color:var(--muted)}dd{margin:0;font-weight:600}
.bad{color:var(--low)}
footer{margin-top:1.5rem;font-size:.85rem;color:var(--muted)}
`;

/** The Content-Security-Policy: this page's one style block, and nothing else at all. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** What each waiting phase means for the people following, in plain words (the detail follows). */
const WAITING_HEADLINES: Readonly<Record<string, string>> = {
  "waiting-for-share":
    "sharebridge is waiting for Share. No reading is lost: they are sent as soon as Share answers.",
  "waiting-for-receiver": "sharebridge is waiting for the receiver: it is not connected, or not answering.",
  "waiting-for-clock": "sharebridge is waiting for the correct time (network time) before it sends readings.",
  "waiting-for-operator": "sharebridge needs someone to fix its setup: readings are not reaching Share.",
};

const RANGE_CLASS = { "urgent low": "r-ulow", low: "r-low", "in range": "r-in", high: "r-high" } as const;

function newestSection(facts: PageFacts, nowMs: number): string {
  const newest = facts.newest;
  if (newest === null) {
    return `<section class="now"><p class="value" id="value">—</p><p class="detail">No reading yet.</p></section>`;
  }
  const atMs = Date.parse(newest.at);
  const offset = facts.wallClockOffsetMinutes;
  const stale = newest.ageSeconds > STALE_SECONDS;
  const age = `<span id="age"${stale ? ' class="stale"' : ""}>${stale ? `No new reading for ${durationInWords(newest.ageSeconds)}` : ageInWords(atMs, nowMs)}</span>`;
  const change =
    newest.change === null
      ? ""
      : ` · <span id="change">${escapeHtml(newest.change)} ${escapeHtml(facts.unit)}</span> since the reading before`;
  const unit = newest.text === "LOW" || newest.text === "HIGH" ? "" : escapeHtml(facts.unit);
  return [
    `<section class="now ${RANGE_CLASS[newest.range]}">`,
    `<p class="value"><span id="value" data-mgdl="${newest.mgdl}">${escapeHtml(newest.text)}</span> <span class="unit" id="unit">${unit}</span>`,
    newest.trendArrow === "" ? "" : `<span class="arrow" aria-hidden="true">${newest.trendArrow}</span>`,
    "</p>",
    `<p class="range" id="range">${newest.range}</p>`,
    `<p class="detail">${escapeHtml(newest.trendWords)} · ${age} (${timeOfDay(atMs, offset)})${change}</p>`,
    "</section>",
  ].join("");
}

function receiverLines(facts: PageFacts, nowMs: number): string {
  const r = facts.receiver;
  const who = r.serial === null ? "not seen yet" : escapeHtml(r.serial);
  const state = r.connected ? "connected" : '<span class="bad">not connected</span>';
  let battery = "not read yet";
  if (r.batteryPercent !== null || r.batteryState !== null) {
    const level = r.batteryPercent === null ? "level unknown" : `${r.batteryPercent} %`;
    const low = r.batteryPercent !== null && r.batteryPercent < 20 ? ' <span class="bad">(low)</span>' : "";
    const charging = r.batteryState === null ? "" : `, ${escapeHtml(r.batteryState.replace("-", " "))}`;
    const read = r.batteryAt === null ? "" : ` (read ${ageInWords(Date.parse(r.batteryAt), nowMs)})`;
    battery = `${level}${low}${charging}${read}`;
  }
  return `<dl><dt>Receiver</dt><dd id="receiver">${who}, ${state}</dd><dt>Battery</dt><dd id="battery">${battery}</dd></dl>`;
}

function shareLines(facts: PageFacts, nowMs: number): string {
  const s = facts.share;
  const offset = facts.wallClockOffsetMinutes;
  const post =
    s.lastPostAt === null
      ? "nothing posted yet"
      : `${ageInWords(Date.parse(s.lastPostAt), nowMs)} (${timeOfDay(Date.parse(s.lastPostAt), offset)})`;
  const waiting = `${countOf(s.waiting, "reading")} waiting`;
  const login =
    s.login === "ok"
      ? "ok"
      : s.login === "refused"
        ? '<span class="bad">Share refused the password</span>: fix it, then run <code>sharebridge share login</code>'
        : `<span class="bad">locked out by Share</span>${s.loginUntil === null ? "" : ` until ${timeOfDay(Date.parse(s.loginUntil), offset)}`}`;
  return [
    "<dl>",
    `<dt>Last post</dt><dd id="last-post">${post}</dd>`,
    `<dt>Not yet on Share</dt><dd id="share-waiting"${s.waiting > 0 ? ' class="bad"' : ""}>${waiting}</dd>`,
    `<dt>Held back</dt><dd id="held">${heldText(s.held, s.quarantined)}</dd>`,
    `<dt>Login</dt><dd id="login">${login}</dd>`,
    "</dl>",
  ].join("");
}

/** Readings Share holds back: "none", or "2 held (Share calls them future), 1 quarantined (refused)". */
function heldText(held: number, quarantined: number): string {
  if (held === 0 && quarantined === 0) return "none";
  const parts: string[] = [];
  if (held > 0) parts.push(`${held} held (Share calls ${held === 1 ? "it" : "them"} future, posted again)`);
  if (quarantined > 0)
    parts.push(
      `<span class="bad">${quarantined} quarantined (Share refuses ${quarantined === 1 ? "it" : "them"})</span>`,
    );
  return parts.join(", ");
}

function historyLine(facts: PageFacts): string {
  if (!facts.archive.on) return "off (archive.retentionDays is 0)";
  if (facts.archive.problem !== null) return `<span class="bad">${escapeHtml(facts.archive.problem)}</span>`;
  return "kept on this device (<code>sharebridge history</code>)";
}

/** The whole page for `facts`. */
export function renderPage(facts: PageFacts): string {
  const nowMs = Date.parse(facts.now);
  const fromMs = nowMs - facts.hours * 3_600_000;
  const newest = facts.newest;
  const title =
    newest === null
      ? "sharebridge"
      : `${newest.text}${newest.text === "LOW" || newest.text === "HIGH" ? "" : ` ${facts.unit}`} ${newest.trendArrow} · sharebridge`;
  const waiting =
    facts.waitingFor === null
      ? ""
      : `<div class="waiting" id="waiting"><p>${WAITING_HEADLINES[facts.phase] ?? "sharebridge is waiting."}</p><p class="why">Waiting for ${escapeHtml(facts.waitingFor)}</p></div>`;
  const span = (hours: number) =>
    `<a href="/?hours=${hours}"${facts.hours === hours ? ' aria-current="page"' : ""}>${hours} h</a>`;
  const clock = facts.wallClockOffsetMinutes === null ? "UTC" : "the receiver's clock";
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">`,
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(title.trim())}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    "<h1>sharebridge</h1>",
    newestSection(facts, nowMs),
    waiting,
    `<section aria-label="chart"><nav>${span(3)}${span(24)}</nav>`,
    chartSvg({
      points: facts.readings,
      fromMs,
      toMs: nowMs,
      unit: facts.unit,
      wallClockOffsetMinutes: facts.wallClockOffsetMinutes,
    }),
    `<p class="legend">The band is the target range. Times: ${clock}.</p></section>`,
    `<h2>Receiver</h2>${receiverLines(facts, nowMs)}`,
    `<h2>Share</h2>${shareLines(facts, nowMs)}`,
    `<h2>History</h2><p id="history">${historyLine(facts)}</p>`,
    `<footer>Updated ${timeOfDay(nowMs, facts.wallClockOffsetMinutes)} (${clock}); this page refreshes every ${REFRESH_SECONDS} s.</footer>`,
    "</main></body></html>\n",
  ].join("");
}
