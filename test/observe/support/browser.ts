/** The system's chromium for a test (test/support/chromium.mjs), with a fresh profile each time. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { chromiumLaunchOptions } from "../../support/chromium.mjs";

export interface TestBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "sharebridge-chromium-"));
  const browser = await puppeteer.launch(chromiumLaunchOptions(profile));
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
