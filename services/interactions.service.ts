import type { ServiceSchema } from "moleculer";
import { callerIdOf, defineAction } from "../broker/define-action";
import type { Interactions } from "../lib/interactions";
import {
  commentIdParams,
  commentParams,
  postIdParams,
  postPageParams,
  savedParams,
  shareParams,
} from "../lib/interactions/params";

/** Likes, comments, saves and shares: thin actions over lib/interactions. */
export function createInteractionsService(deps: { interactions: Interactions }): ServiceSchema {
  const { interactions } = deps;
  return {
    name: "interactions",
    actions: {
      like: defineAction({
        params: postIdParams,
        handler: (ctx) => interactions.like(callerIdOf(ctx), ctx.params.id),
      }),
      unlike: defineAction({
        params: postIdParams,
        handler: (ctx) => interactions.unlike(callerIdOf(ctx), ctx.params.id),
      }),
      likers: defineAction({
        params: postPageParams,
        handler: (ctx) => interactions.likers(callerIdOf(ctx), ctx.params.id, ctx.params),
      }),
      comment: defineAction({
        // Not idempotent: a retry after a failure part-way would store it twice. The client decides.
        options: { retryPolicy: { enabled: false } },
        params: commentParams,
        handler: (ctx) => interactions.comment(callerIdOf(ctx), ctx.params.id, ctx.params),
      }),
      comments: defineAction({
        params: postPageParams,
        handler: (ctx) => interactions.listComments(callerIdOf(ctx), ctx.params.id, ctx.params),
      }),
      deleteComment: defineAction({
        params: commentIdParams,
        handler: (ctx) => interactions.deleteComment(callerIdOf(ctx), ctx.params.id),
      }),
      save: defineAction({
        params: postIdParams,
        handler: (ctx) => interactions.save(callerIdOf(ctx), ctx.params.id),
      }),
      unsave: defineAction({
        params: postIdParams,
        handler: (ctx) => interactions.unsave(callerIdOf(ctx), ctx.params.id),
      }),
      saved: defineAction({
        params: savedParams,
        handler: (ctx) => interactions.saved(callerIdOf(ctx), ctx.params),
      }),
      share: defineAction({
        // Not idempotent: a retry after a failure part-way would store it twice. The client decides.
        options: { retryPolicy: { enabled: false } },
        params: shareParams,
        handler: (ctx) => interactions.share(callerIdOf(ctx), ctx.params.id, ctx.params.usernames),
      }),
    },
  };
}
