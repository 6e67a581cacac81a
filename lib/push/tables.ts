import { defineTable } from "../store/schema";

/**
 * A user's Web Push subscriptions (one per browser or device, at most MAX_PUSH_SUBSCRIPTIONS), keyed by a hash of
 * the endpoint so that subscribing again with the same endpoint replaces the row.
 */
export const pushSubscriptions = defineTable({
  name: "push_subscriptions",
  columns: {
    user_id: "id",
    subscription_id: "text",
    endpoint: "text",
    p256dh: "text",
    auth: "text",
    /** JSON array of PushKind. */
    kinds: "text",
    created_at: "timestamp",
  },
  partitionKey: ["user_id"],
  clustering: [{ column: "subscription_id", order: "asc" }],
});

export const pushTables = [pushSubscriptions];
