import type { ServiceSchema } from "moleculer";
import { keepsPostRows } from "../mixins/post-rows.mixin";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { Interactions } from "../lib/interactions";
import type { Posts } from "../lib/posts/posts";

/** Not idempotent: a retry after a failure part-way would store it twice. The client decides. */
const NO_RETRY = { retryPolicy: { enabled: false } };

/** Likes, comments, saves and shares: thin actions over lib/interactions. */
export function createInteractionsService(deps: { interactions: Interactions; posts: Posts }): ServiceSchema {
  const { interactions } = deps;
  return {
    name: "interactions",
    mixins: [keepsPostRows(deps.posts)],
    actions: defineActions("interactions", {
      like: { handler: (ctx) => interactions.like(callerIdOf(ctx), ctx.params.id) },
      unlike: { handler: (ctx) => interactions.unlike(callerIdOf(ctx), ctx.params.id) },
      likers: { handler: (ctx) => interactions.likers(callerIdOf(ctx), ctx.params.id, ctx.params) },
      comment: {
        options: NO_RETRY,
        handler: (ctx) => interactions.comment(callerIdOf(ctx), ctx.params.id, ctx.params),
      },
      comments: {
        handler: (ctx) => interactions.listComments(callerIdOf(ctx), ctx.params.id, ctx.params),
      },
      deleteComment: { handler: (ctx) => interactions.deleteComment(callerIdOf(ctx), ctx.params.id) },
      save: { handler: (ctx) => interactions.save(callerIdOf(ctx), ctx.params.id) },
      unsave: { handler: (ctx) => interactions.unsave(callerIdOf(ctx), ctx.params.id) },
      saved: { handler: (ctx) => interactions.saved(callerIdOf(ctx), ctx.params) },
      share: {
        options: NO_RETRY,
        handler: (ctx) => interactions.share(callerIdOf(ctx), ctx.params.id, ctx.params.usernames),
      },
      /** For operators (admin.recountPost). */
      recount: { options: { timeout: 0 }, handler: (ctx) => interactions.recount(ctx.params.postId) },
    }),
  };
}
