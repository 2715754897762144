/**
 * The system's chromium (Debian's package, /usr/bin/chromium), driven by puppeteer-core: nothing is
 * downloaded. Headless, sandbox off (CI runs as root), and everything that would reach the network
 * on its own turned off, with a fresh profile in a temporary directory each time.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";

export const CHROMIUM = process.env["SHAREBRIDGE_CHROMIUM"] ?? "/usr/bin/chromium";

export interface TestBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "sharebridge-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Where tests leave files to look at (screenshots): $SHAREBRIDGE_TEST_OUTPUT, else a temp folder. */
export function testOutputDir(): string {
  return process.env["SHAREBRIDGE_TEST_OUTPUT"] ?? join(tmpdir(), "sharebridge-test-output");
}
