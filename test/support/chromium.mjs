// Debian's chromium for the status page's tests and benchmark, launched by puppeteer-core (which
// downloads nothing): headless, sandbox off (CI runs as root), everything that would reach the
// network by itself turned off, and a fresh profile in `profileDir`.

/** The browser: $SHAREBRIDGE_CHROMIUM, else Debian's package. */
export const CHROMIUM = process.env.SHAREBRIDGE_CHROMIUM ?? "/usr/bin/chromium";

/** puppeteer-core's launch options for a profile directory the caller made (and removes). */
export function chromiumLaunchOptions(profileDir) {
  return {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profileDir}`,
    ],
  };
}
