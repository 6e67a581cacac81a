import type { Context, ServiceSchema } from "moleculer";
import type { PayloadOf } from "../lib/contracts";

/** The services that hydrate posts, which keep post rows (lib/posts) and so must hear of edits and deletions. */
export const POST_ROW_KEEPERS = ["posts", "timeline", "interactions", "inbox", "discovery"];

/**
 * For a service whose node keeps post rows: forgets a post's row when any node edits or deletes it. A node
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
      "posts.edited": {
        handler(ctx: Context<PayloadOf<"posts.edited">>) {
          posts.forget(ctx.params.postId);
        },
      },
    },
  };
}
