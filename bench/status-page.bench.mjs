// The status page (issue: a page a parent can glance at): its weight in bytes, the time the listener
// takes to answer it (reading the archive's last 24 hours and rendering), and the time Debian's
// chromium takes to show it at a phone's size, for the 3-hour and the 24-hour chart. Also the
// archive's bytes per reading. The archive is a day of readings written by the real archive sink,
// with Share's outcome for each; the daemon's facts are a fixed healthy snapshot.
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { silentLogger } from "../dist/log.js";
import { startHealthServer } from "../dist/observe/health-server.js";
import { statusPage } from "../dist/observe/page/status-page.js";
import { ArchiveSink } from "../dist/sinks/archive/archive-sink.js";
import { chromiumLaunchOptions } from "../test/support/chromium.mjs";

const SERIAL = "SM12345678";
const READINGS = 288;
const SERVER_REQUESTS = 200;
const BROWSER_LOADS = 20;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** A day of readings, one every 5 minutes up to `nowMs`, on a slow wave between 70 and 220. */
function day(nowMs) {
  const readings = [];
  for (let i = 0; i < READINGS; i++) {
    const wtMs = nowMs - (READINGS - 1 - i) * 300_000;
    const glucose = Math.round(145 + 75 * Math.sin(i / 20));
    readings.push({
      recordType: 4,
      index: 10_000 + i,
      systemSeconds: 500_000_000 + i * 300,
      storedGlucose: glucose,
      glucose,
      trend: 4,
      times: { stMs: wtMs, dtMs: wtMs + 3_600_000, ta: 0, wtMs },
      skip: undefined,
    });
  }
  return readings;
}

export async function run(print) {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-page-bench-"));
  const nowMs = Math.floor(Date.now() / 1000) * 1000;
  let server;
  let browser;
  try {
    const archive = new ArchiveSink({ dir: join(dir, "archive"), retentionDays: 90, log: silentLogger });
    const readings = day(nowMs);
    await archive
      .open({
        serial: SERIAL,
        signal: undefined,
        log: silentLogger,
        nowUtcMs: () => nowMs,
        settle: async () => {},
      })
      .write(readings);
    for (const reading of readings)
      archive.noteOutcome({ serial: SERIAL, reading, outcome: "stored", atMs: nowMs });
    await archive.flush(nowMs);
    let bytes = 0;
    for (const name of await readdir(join(dir, "archive")))
      bytes += (await stat(join(dir, "archive", name))).size;
    print(
      `archive: ${(bytes / READINGS).toFixed(0)} bytes per reading (its line and its outcome's line), ${(bytes / 1024).toFixed(1)} KiB a day, ${((bytes * 90) / 1024 / 1024).toFixed(1)} MiB for 90 days`,
    );

    const snapshot = {
      startedAtMs: nowMs - 86_400_000,
      nowMs,
      phase: "idle",
      waitingFor: undefined,
      serial: SERIAL,
      readingIntervalSeconds: 300,
      lastCycle: { atMs: nowMs - 1000, outcome: "posted", durationMs: 80 },
      lastSuccessAtMs: nowMs - 1000,
      lastReading: { index: 10_287, systemSeconds: 500_086_100, utcMs: nowMs, glucose: 120, trend: 4 },
      lastPostUtcMs: nowMs - 500,
      backlog: 0,
      clockOffsetSeconds: 12,
      cycles: { posted: 288 },
      probes: 300,
      linkErrors: {},
      shareErrors: {},
      nextWakeAtMs: nowMs + 299_000,
      battery: { serial: SERIAL, percent: 80, state: "charging", atMs: nowMs - 600_000 },
      shareLogin: { state: "closed" },
    };
    server = await startHealthServer({
      listen: { host: "127.0.0.1", port: 0 },
      snapshot: () => ({ ...snapshot }),
      log: silentLogger,
      page: statusPage({ archive, unit: "mg/dL" }),
    });
    const base = `http://127.0.0.1:${server.port}`;
    for (const [label, path] of [
      ["page, 3 h", "/"],
      ["page, 24 h", "/?hours=24"],
      ["status.json, 3 h", "/status.json"],
    ]) {
      const times = [];
      let size = 0;
      for (let i = 0; i < SERVER_REQUESTS; i++) {
        const started = performance.now();
        const response = await fetch(`${base}${path}`);
        size = (await response.arrayBuffer()).byteLength;
        times.push(performance.now() - started);
      }
      print(
        `${label}: ${size} bytes; answered in ${median(times).toFixed(2)} ms (median of ${SERVER_REQUESTS}, archive read included)`,
      );
    }

    const profile = await mkdtemp(join(tmpdir(), "sharebridge-page-bench-chromium-"));
    browser = await puppeteer.launch(chromiumLaunchOptions(profile));
    const page = await browser.newPage();
    await page.setViewport({ width: 412, height: 915, deviceScaleFactor: 2 });
    for (const [label, path] of [
      ["chromium, 3 h", "/"],
      ["chromium, 24 h", "/?hours=24"],
    ]) {
      const loads = [];
      const paints = [];
      for (let i = 0; i < BROWSER_LOADS; i++) {
        await page.goto(`${base}${path}`, { waitUntil: "load" });
        // Rendered: the first frame drawn after the load event (two animation frames later), measured
        // from the navigation's start.
        const timing = await page.evaluate(async () => {
          await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
          const nav = performance.getEntriesByType("navigation")[0];
          return { load: nav.loadEventEnd - nav.startTime, paint: performance.now() };
        });
        loads.push(timing.load);
        paints.push(timing.paint);
      }
      print(
        `${label}: load event ${median(loads).toFixed(0)} ms, first frame after it ${median(paints).toFixed(0)} ms after navigation (median of ${BROWSER_LOADS}, phone viewport 412×915 @2×)`,
      );
    }
    await rm(profile, { recursive: true, force: true });
  } finally {
    await browser?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
