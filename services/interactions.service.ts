import type { ServiceSchema } from "moleculer";
import { keepsPostRows } from "../mixins/post-rows.mixin";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { Interactions } from "../lib/interactions";
import type { Posts } from "../lib/posts/posts";
import type { Insights, PostViews } from "../lib/views";
import { byCaller } from "../mixins/actor.mixin";
import { periodicWork } from "../mixins/periodic-work.mixin";

/** How often a node writes the views it counted: what a crash of the node may lose. */
export const VIEWS_FLUSH_EVERY_MS = 2_000;

/** Not idempotent: a retry after a failure part-way would store it twice. The client decides. */
const NO_RETRY = { retryPolicy: { enabled: false } };

/** Likes, comments, saves and shares: thin actions over lib/interactions. */
export function createInteractionsService(deps: {
  interactions: Interactions;
  posts: Posts;
  views: PostViews;
  insights: Insights;
}): ServiceSchema {
  const { interactions, views, insights } = deps;
  return {
    name: "interactions",
    mixins: [
      keepsPostRows(deps.posts),
      periodicWork([
        { name: "writing counted views", everyMs: VIEWS_FLUSH_EVERY_MS, run: () => views.flush() },
      ]),
    ],
    // A node that stops writes what it counted: only a crash loses an interval.
    async stopped() {
      await views.flush();
    },
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
      /** For moderation: reports and removals. */
      reportedComment: {
        handler: async (ctx) => ({
          ...(await interactions.reportedComment(callerIdOf(ctx), ctx.params.id)),
          mediaIds: [],
        }),
      },
      removeComment: { handler: (ctx) => interactions.removeComment(ctx.params.id) },
      save: { handler: (ctx) => interactions.save(callerIdOf(ctx), ctx.params.id) },
      unsave: { handler: (ctx) => interactions.unsave(callerIdOf(ctx), ctx.params.id) },
      saved: { handler: (ctx) => interactions.saved(callerIdOf(ctx), ctx.params) },
      liked: { handler: (ctx) => interactions.liked(callerIdOf(ctx), ctx.params) },
      /** For operators (admin.backfillActivity). */
      backfillActivity: { options: { timeout: 0 }, handler: () => interactions.backfillActivity() },
      myComments: { handler: (ctx) => interactions.myComments(callerIdOf(ctx), ctx.params) },
      share: {
        options: NO_RETRY,
        handler: (ctx) => interactions.share(callerIdOf(ctx), ctx.params.id, ctx.params.usernames),
      },
      /** Each viewer's reports go to one node (the Owner strategy), which deduplicates them in memory. */
      recordViews: {
        options: byCaller,
        handler: async (ctx) => ({
          counted: await views.record(callerIdOf(ctx), ctx.params.ids, ctx.params.kind),
        }),
      },
      insights: { handler: (ctx) => insights.of(callerIdOf(ctx), ctx.params.id) },
      /** An erasure's step (lib/erasure): the account's likes, comments and saves of others' posts. */
      erase: {
        options: { timeout: 0 },
        handler: (ctx) => interactions.erasure.eraseUser(ctx.params.userId, ctx.params.cursor),
      },
      /** A post's erasure: what others left on it, then its counts. */
      forgetPost: {
        options: { timeout: 0 },
        handler: async (ctx) => {
          const progress = await interactions.erasure.forgetPost(ctx.params.postId, ctx.params.cursor);
          if (progress.done) await views.forget(ctx.params.postId);
          return progress;
        },
      },
      /** For operators (admin.recountPost). */
      recount: { options: { timeout: 0 }, handler: (ctx) => interactions.recount(ctx.params.postId) },
    }),
  };
}
