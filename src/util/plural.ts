/**
 * Counts in words: "1 page", "2 pages", "0 readings". The one place that decides between singular
 * and plural, so that no message says "1 pages" or "1 page(s)".
 */

/** `count` and the noun in the form that agrees with it; irregular plurals are given ("entry", "entries"). */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
