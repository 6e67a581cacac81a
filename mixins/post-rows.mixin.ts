import type { Context, ServiceSchema } from "moleculer";
import type { PayloadOf } from "../lib/contracts";

/** The services that hydrate posts, which keep post rows (lib/posts) and so must hear of deletions. */
export const POST_ROW_KEEPERS = ["posts", "timeline", "interactions", "inbox", "discovery"];

/**
 * For a service whose node keeps post rows: forgets a deleted post's row when any node deletes it. A node
 * hosting several such services forgets twice, which is harmless.
 */
export function keepsPostRows(posts: { forget(postId: string): void }): Partial<ServiceSchema> {
  return {
    events: {
      "posts.deleted": {
        handler(ctx: Context<PayloadOf<"posts.deleted">>) {
          posts.forget(ctx.params.postId);
        },
      },
    },
  };
}
