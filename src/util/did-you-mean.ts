/**
 * "Did you mean …?" for a misspelt name (a configuration key, a command, an option): the closest
 * known name by edit distance, if it is close enough to be a likely typo.
 */

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (x[i - 1] === y[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[y.length] as number;
}

/**
 * The known name `word` most likely stands for, or undefined. Each name is compared whole and by its
 * start (for words of four letters or more), so a name typed short ("pasword") still finds a longer
 * one ("passwordFile"). Ties go to the name listed first.
 */
export function closestName(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const whole = editDistance(word, name);
    const start = word.length >= 4 ? editDistance(word, name.slice(0, word.length + 1)) : whole;
    const d = Math.min(whole, start);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
