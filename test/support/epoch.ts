/**
 * The instant every test harness starts from: fixed, so that the suite passes at any hour and on any
 * date, and shiftable, so that CI proves it does. `SHAREBRIDGE_TEST_EPOCH_SHIFT` moves it by a signed
 * duration such as `-1h`, `+7m`, `+13h` or `+90s` (CI runs the sync and daemon tests at three shifts).
 *
 * The base is a Tuesday at 14:31 UTC, inside the minutes in which a harness that took the wall clock
 * once failed every day.
 */
const BASE_MS = Date.UTC(2026, 2, 10, 14, 31, 0);
const UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a shift like "+13h"; undefined or empty is no shift. Anything else stops the run. */
export function parseEpochShift(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return 0;
  const match = /^([+-]?)(\d{1,6})([smhd])$/.exec(text.trim());
  const unit = match?.[3];
  if (match === null || unit === undefined) {
    throw new TypeError(`SHAREBRIDGE_TEST_EPOCH_SHIFT must look like -1h, +7m or +13h, got "${text}"`);
  }
  return (match[1] === "-" ? -1 : 1) * Number(match[2]) * (UNITS_MS[unit] ?? 0);
}

export const TEST_EPOCH_SHIFT_MS = parseEpochShift(process.env["SHAREBRIDGE_TEST_EPOCH_SHIFT"]);

/** The harnesses' "now" when a test starts. */
export const TEST_EPOCH_MS = BASE_MS + TEST_EPOCH_SHIFT_MS;
