import { compareCanonicalIds } from "../ids";

/**
 * Merges lists that are each newest first (by post id) into one list, newest first, of at most `limit` entries,
 * each post once: where several lists hold a post, the entry of the first of them is kept. A feed page merges the
 * reader's timeline with the recent posts of up to dozens of celebrities; this walks only as far as the page
 * goes (limit × lists comparisons) instead of sorting every candidate of every list.
 */
export function mergeNewestFirst<E extends { postId: string }>(
  lists: readonly (readonly E[])[],
  limit: number,
): E[] {
  const at = lists.map(() => 0);
  const merged: E[] = [];
  while (merged.length < limit) {
    let best = -1;
    let bestId = "";
    for (let i = 0; i < lists.length; i++) {
      const head = lists[i]?.[at[i] ?? 0];
      if (head === undefined) continue;
      if (best < 0 || compareCanonicalIds(head.postId, bestId) > 0) {
        best = i;
        bestId = head.postId;
      }
    }
    if (best < 0) break;
    const chosen = lists[best]?.[at[best] ?? 0];
    if (chosen !== undefined) merged.push(chosen);
    // The same post further down the other lists' heads goes too (lists hold it at most once each).
    for (let i = 0; i < lists.length; i++) {
      if (lists[i]?.[at[i] ?? 0]?.postId === bestId) at[i] = (at[i] ?? 0) + 1;
    }
  }
  return merged;
}
