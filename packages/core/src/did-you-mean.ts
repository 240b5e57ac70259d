import { distance } from "fastest-levenshtein";

/**
 * The known word a mistyped one most likely meant (`comands` -> `commands`, `regoin` -> `region`),
 * or undefined when none is close: at most two edits, and at most a third of the word's letters.
 */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  let best: { word: string; d: number } | undefined;
  for (const candidate of known) {
    const d = distance(typed, candidate.toLowerCase());
    if (!best || d < best.d) best = { word: candidate, d };
  }
  if (!best) return undefined;
  // d 0: only the case differs (`Commands`).
  return best.d <= 2 && best.d <= Math.ceil(word.length / 3) ? best.word : undefined;
}

/** The fix of an unknown key: the likely key first, then what is allowed. */
export function unknownKeyFix(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  const allowed = `use one of: ${known.join(", ")}`;
  return guess ? `did you mean ${guess}? (${allowed})` : allowed;
}
