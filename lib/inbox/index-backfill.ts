import { forEachRow } from "../store/scan";
import type { WideRowStore } from "../store/store";
import { actionKeyOfRow } from "./notifications";
import { notifications, notificationsByActor } from "./tables";

/**
 * Lists under their actor the notifications made before notificationsByActor existed (what an erasure of the actor
 * walks): a full scan of the notifications, never on a request's path; idempotent. Answers the rows written.
 */
export async function backfillNotificationIndex(store: WideRowStore): Promise<number> {
  let written = 0;
  await forEachRow(store, notifications, async (row) => {
    const key = actionKeyOfRow(row);
    if (row.actor_id === undefined || row.actor_id === row.user_id || key === undefined) return;
    await store.put(notificationsByActor, {
      actor_id: row.actor_id,
      notification_id: row.notification_id,
      recipient_id: row.user_id,
      action_key: key,
    });
    written++;
  });
  return written;
}
