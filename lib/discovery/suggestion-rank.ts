import { compareIds } from "../ids";

export interface Suggestion {
  userId: string;
  /** How many of the people the reader follows follow this account. */
  mutuals: number;
}

/**
 * Accounts followed by the people the reader follows, by how many of them follow each (most first, then the
 * older account: ids are times), leaving out `excluded` (the reader, whom it follows, blocks or is blocked by);
 * at most `max`.
 */
export function rankSuggestions(
  followedByEach: readonly (readonly string[])[],
  excluded: ReadonlySet<string>,
  max: number,
): Suggestion[] {
  const mutuals = new Map<string, number>();
  for (const list of followedByEach) {
    // Once per list, whatever a list repeats.
    for (const userId of new Set(list)) {
      if (!excluded.has(userId)) mutuals.set(userId, (mutuals.get(userId) ?? 0) + 1);
    }
  }
  return [...mutuals]
    .map(([userId, count]) => ({ userId, mutuals: count }))
    .sort(bySuggestionOrder)
    .slice(0, max);
}

/** The order of suggestions: most mutuals first, then by id. */
export function bySuggestionOrder(a: Suggestion, b: Suggestion): number {
  return b.mutuals - a.mutuals || compareIds(a.userId, b.userId);
}
