/**
 * The receiver's trend code (0–9, receiver-protocol §5.1; the names are share/trend.ts's) as people
 * read it: an arrow and words. The page and `history` show both, so the arrow is never the only
 * signal (a screen reader, a colour-blind reader, a printout).
 */

interface TrendWords {
  /** One or two characters; empty when the receiver gave no trend. */
  readonly arrow: string;
  readonly words: string;
}

const TRENDS: readonly TrendWords[] = [
  { arrow: "", words: "no trend" },
  { arrow: "⇈", words: "rising quickly" },
  { arrow: "↑", words: "rising" },
  { arrow: "↗", words: "rising slowly" },
  { arrow: "→", words: "steady" },
  { arrow: "↘", words: "falling slowly" },
  { arrow: "↓", words: "falling" },
  { arrow: "⇊", words: "falling quickly" },
  { arrow: "?", words: "trend unknown" },
  { arrow: "⇕", words: "changing too fast to tell" },
];

/** The arrow and words of a trend code; an unknown code reads as "no trend". */
export function trendWords(trend: number): TrendWords {
  return TRENDS[trend] ?? (TRENDS[0] as TrendWords);
}
