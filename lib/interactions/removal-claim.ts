import type { WideRowStore } from "../store/store";
import { removalClaims } from "./tables";

/**
 * Claims the removal of one counted item (a like or a comment, by its unique id). Exactly one of any number
 * of racing removals, on any node, gets true, and only that one may uncount the item: this stands in for a
 * conditional delete, which the store port does not offer.
 */
export async function claimRemoval(store: WideRowStore, itemId: string, now: number): Promise<boolean> {
  const claim = await store.insertIfAbsent(removalClaims, { item_id: itemId, claimed_at: new Date(now) });
  return claim.applied;
}
