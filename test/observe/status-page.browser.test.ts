/**
 * The status page in a real browser (the system's chromium through puppeteer-core) against the
 * daemon, the receiver emulator and the Share emulator: the newest value and its unit, the chart's
 * points against the archive, a Share outage in words, mmol/L, and the token on an open address.
 * A screenshot of each page is left in the test output (testOutputDir()); with
 * SHAREBRIDGE_UPDATE_SCREENSHOT=1 the README's docs/status-page.png is written from the first one.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { type HealthServer, startHealthServer } from "../../src/observe/health-server.js";
import { statusPage } from "../../src/observe/page/status-page.js";
import type { DisplayUnit } from "../../src/readings/units.js";
import { readArchive } from "../../src/sinks/archive/archive-reader.js";
import type { DaemonSnapshot } from "../../src/sync/daemon-status.js";
import { type DaemonBench, daemonBench } from "../sync/support/daemon-bench.js";
import { launchBrowser, type TestBrowser, testOutputDir } from "./support/browser.js";

const HOUR = 3_600_000;
const TOKEN = "0123456789abcdef0123456789abcdef";

let browser: TestBrowser;
let bench: DaemonBench | undefined;
const servers: HealthServer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await bench?.close();
  bench = undefined;
});

/** Runs the daemon for `hours` of fake time (Share down for the last `outageHours`); returns its last facts. */
async function runDaemon(
  hours: number,
  outageHours = 0,
): Promise<{ b: DaemonBench; snapshot: DaemonSnapshot }> {
  const b = await daemonBench({
    receiver: { profile: "g5", seed: 11, days: 2, live: { intervalSeconds: 300 } },
  });
  bench = b;
  const start = b.now;
  const running = await b.start();
  await b.runWhile(() => b.now < start + (hours - outageHours) * HOUR);
  b.share.setOutage(outageHours > 0);
  await b.runWhile(() => b.now < start + hours * HOUR);
  // Fake time moves only inside the daemon's sleeps, so it is asleep now: its facts as a page sees them.
  const snapshot = running.daemon.snapshot();
  await running.stop();
  return { b, snapshot };
}

async function serve(
  b: DaemonBench,
  snapshot: DaemonSnapshot,
  options: { unit?: DisplayUnit; host?: string; token?: string } = {},
): Promise<string> {
  const server = await startHealthServer({
    listen: { host: options.host ?? "127.0.0.1", port: 0 },
    snapshot: () => snapshot,
    log: silentLogger,
    token: options.token,
    page: statusPage({
      archive: { dir: join(b.config.stateDir, "archive"), problem: () => undefined },
      unit: options.unit ?? "mg/dL",
    }),
  });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

async function open(url: string): Promise<Page> {
  const page = await browser.browser.newPage();
  await page.setViewport({ width: 412, height: 915, deviceScaleFactor: 2 });
  await page.goto(url, { waitUntil: "load" });
  return page;
}

const textOf = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? "");

async function screenshot(page: Page, name: string): Promise<string> {
  const dir = testOutputDir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (name === "status-page" && process.env["SHAREBRIDGE_UPDATE_SCREENSHOT"] === "1") {
    await page.screenshot({
      path: join(import.meta.dirname, "..", "..", "docs", "status-page.png"),
      fullPage: true,
    });
  }
  return path;
}

/** The receiver's newest real reading (not display-only, not a sensor state) the daemon had read. */
function newestOnReceiver(b: DaemonBench, snapshot: DaemonSnapshot): number {
  const newest = (b.receiver.model.partitions[4]?.records ?? [])
    .filter((r) => "glucose" in r && !r.displayOnly && r.special === null)
    .filter((r) => r.index <= (snapshot.lastReading?.index ?? -1))
    .at(-1) as { glucose: number } | undefined;
  return newest?.glucose ?? Number.NaN;
}

describe("status page in chromium", () => {
  it("the newest reading and its unit, and a chart with every reading the archive holds for 3 hours", async () => {
    const { b, snapshot } = await runDaemon(4);
    const page = await open(await serve(b, snapshot));
    const glucose = newestOnReceiver(b, snapshot);
    expect(glucose).toBeGreaterThanOrEqual(40);
    expect(glucose).toBeLessThanOrEqual(400);
    expect(await textOf(page, "#value")).toBe(String(glucose));
    expect(await textOf(page, "#unit")).toBe("mg/dL");
    expect(await page.title()).toMatch(new RegExp(`^${glucose} mg/dL `));

    const archived = await readArchive(join(b.config.stateDir, "archive"), {
      sinceMs: snapshot.nowMs - 3 * HOUR,
    });
    const postable = archived.readings.filter((r) => r.skip === undefined);
    const dots = await page.$$eval("svg.chart circle.p", (circles) =>
      circles.map((c) => Number(c.getAttribute("data-mgdl"))),
    );
    expect(dots).toEqual(postable.map((r) => r.mgdl));
    expect(dots.length).toBeGreaterThanOrEqual(35);
    expect(dots.at(-1)).toBe(glucose);
    expect(await page.$eval("svg.chart text.unit", (e) => e.textContent)).toBe("mg/dL");
    // Colour is never the only signal: the range is written out.
    expect(await textOf(page, "#range")).toMatch(/^(urgent low|low|in range|high)$/);
    expect(await textOf(page, "#battery")).toMatch(/^\d{1,3} %, (charging|not charging)/);
    expect(await textOf(page, "#share-waiting")).toBe("0 readings waiting");
    // No request left the page: everything it shows is in the one document.
    const requests: string[] = [];
    page.on("request", (request) => {
      requests.push(request.url());
    });
    await page.reload({ waitUntil: "load" });
    expect(requests).toHaveLength(1);
    const path = await screenshot(page, "status-page");
    process.stdout.write(`status page screenshot: ${path}\n`);

    // 24 hours: the day's readings, and the choice is kept in the address.
    await page.click('nav a[href="/?hours=24"]');
    await page.waitForSelector('nav a[href="/?hours=24"][aria-current="page"]');
    const day = await page.$$eval("svg.chart circle.p", (circles) => circles.length);
    expect(day).toBeGreaterThan(250);
    await screenshot(page, "status-page-24h");
  }, 60_000);

  it("a Share outage reads 'waiting for Share' with the count of readings waiting", async () => {
    const { b, snapshot } = await runDaemon(3, 1);
    expect(snapshot.backlog).toBeGreaterThanOrEqual(11);
    const page = await open(await serve(b, snapshot));
    expect(await textOf(page, "#waiting p")).toBe(
      "sharebridge is waiting for Share. No reading is lost: they are sent as soon as Share answers.",
    );
    expect(await textOf(page, "#waiting p.why")).toMatch(/^Waiting for Share to answer \(.*HTTP 503/);
    expect(await textOf(page, "#share-waiting")).toBe(`${snapshot.backlog} readings waiting`);
    const archived = await readArchive(join(b.config.stateDir, "archive"), { sinceMs: 0 });
    const notOnShare = archived.readings.filter((r) => r.skip === undefined && r.outcome === undefined);
    expect(notOnShare).toHaveLength(snapshot.backlog);
    await screenshot(page, "status-page-share-down");
  }, 60_000);

  it("mmol/L: one decimal, on the value, the axis and the title", async () => {
    const { b, snapshot } = await runDaemon(4);
    const page = await open(await serve(b, snapshot, { unit: "mmol/L" }));
    const glucose = newestOnReceiver(b, snapshot);
    expect(await textOf(page, "#value")).toBe((Math.round((glucose / 18.0156) * 10) / 10).toFixed(1));
    expect(await textOf(page, "#unit")).toBe("mmol/L");
    const labels = await page.$$eval("svg.chart text.ylabel", (texts) => texts.map((t) => t.textContent));
    expect(labels.slice(0, 3)).toEqual(["2.2", "3.9", "10.0"]);
    expect(labels.every((l) => /^\d+\.\d$/.test(l ?? ""))).toBe(true);
    expect(await page.title()).toMatch(/^\d+\.\d mmol\/L /);
    await screenshot(page, "status-page-mmol");
  }, 60_000);

  it("on an open address: 401 without the token, and not a word of the serial; the token once, then a cookie", async () => {
    const { b, snapshot } = await runDaemon(2);
    const serial = snapshot.serial ?? "";
    expect(serial).toMatch(/^[A-Z0-9]{10}$/);
    const base = await serve(b, snapshot, { host: "0.0.0.0", token: TOKEN });
    const page = await browser.browser.newPage();
    for (const path of ["/", "/status.json", "/metrics", "/?token=wrong-token-wrong-token"]) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status()).toBe(401);
      const body = await page.content();
      expect(body).not.toContain(serial);
      expect(body).toContain("401 unauthorized");
    }
    // /healthz stays open for health checks, and says nothing personal.
    const health = await page.goto(`${base}/healthz`);
    expect(health?.status()).toBe(200);
    const healthText = await textOf(page, "body");
    expect(healthText).not.toContain(serial);
    expect(Object.keys(JSON.parse(healthText) as object)).toEqual([
      "status",
      "phase",
      "lastSuccessAgeSeconds",
      "lastPostAgeSeconds",
      "backlog",
    ]);

    // The token once: redirected to the page without it, and remembered by a cookie.
    const signedIn = await page.goto(`${base}/?token=${TOKEN}`);
    expect(signedIn?.status()).toBe(200);
    expect(page.url()).toBe(`${base}/`);
    expect(await textOf(page, "#receiver")).toBe(`${serial}, connected`);
    const again = await page.goto(`${base}/status.json`);
    expect(again?.status()).toBe(200);
    const cookies = await browser.browser.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.value.includes(TOKEN)])).toEqual([
      ["sharebridge", true, "Lax", false],
    ]);
  }, 60_000);
});
