import { forEachRow } from "../store/scan";
import type { WideRowStore } from "../store/store";
import { closeFriendOf, closeFriends, mutedBy, mutes, requestsSent, requestsSentList } from "./tables";

/**
 * Writes the reverse lists an erasure walks (requests sent, close-friends lists one is on, mutes of one) for rows
 * made before those lists existed: a full scan of each table mirrored, never on a request's path. Upserts of what
 * the live paths write, so running it twice, or beside them, changes nothing. Answers the rows written.
 */
export async function backfillGraphIndexes(store: WideRowStore): Promise<number> {
  let written = 0;
  written += await forEachRow(store, requestsSent, (row) =>
    store.put(requestsSentList, { user_id: row.user_id, target_id: row.target_id }),
  );
  written += await forEachRow(store, closeFriends, (row) =>
    store.put(closeFriendOf, { user_id: row.friend_id, owner_id: row.user_id }),
  );
  written += await forEachRow(store, mutes, (row) =>
    store.put(mutedBy, { user_id: row.muted_id, muter_id: row.user_id }),
  );
  return written;
}
