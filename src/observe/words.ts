/**
 * Times and durations in words for people reading `status` and `doctor` at a terminal: "4 min ago",
 * "2 h 5 min", "in 30 min". Precision drops as the span grows, because an operator asks "is it
 * minutes or hours?", not "how many seconds?". Machine output (`--json`) carries the numbers.
 */

/** A duration in words, from whole seconds (sign ignored): "12 s", "4 min", "2 h 5 min", "3 d 4 h". */
export function durationInWords(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const minutes = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${minutes === 0 ? "" : ` ${minutes} min`}`;
  }
  const hours = Math.floor((s % 86400) / 3600);
  return `${Math.floor(s / 86400)} d${hours === 0 ? "" : ` ${hours} h`}`;
}

/** How long ago `thenMs` was at `nowMs`: "just now", "4 min ago", or "in 3 min" for the future. */
export function ageInWords(thenMs: number, nowMs: number): string {
  const seconds = Math.round((nowMs - thenMs) / 1000);
  if (Math.abs(seconds) < 5) return "just now";
  return seconds > 0 ? `${durationInWords(seconds)} ago` : `in ${durationInWords(seconds)}`;
}

/** Whether `ms` is a time a Date can hold (state files are untrusted: 1e300 is a finite number too). */
export function isValidTime(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

/** An ISO timestamp, or null when `ms` is not a valid time. */
export function isoOrNull(ms: number | undefined): string | null {
  return ms !== undefined && isValidTime(ms) ? new Date(ms).toISOString() : null;
}

/** A UTC instant as people read it: "2026-05-02 11:56:00 UTC" (whole seconds). */
export function utcInWords(ms: number): string {
  if (!isValidTime(ms)) return "(not a valid time)";
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A signed offset: "+20 min (+1234 s)", "−3 d 2 h (−266400 s)". */
export function offsetInWords(seconds: number): string {
  const sign = seconds < 0 ? "−" : "+";
  return `${sign}${durationInWords(seconds)} (${sign}${Math.abs(seconds)} s)`;
}

/**
 * Text from outside (state file, receiver, Share, command output) made safe for a terminal: control
 * characters (line breaks and escape sequences included) become "?", so nothing can move the
 * cursor, recolour the terminal or forge a line of output.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}
