import type { ServiceSchema } from "moleculer";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { Stories } from "../lib/stories/stories";

/** Stories: thin actions over lib/stories. */
export function createStoriesService(deps: { stories: Stories }): ServiceSchema {
  const { stories } = deps;
  return {
    name: "stories",
    actions: defineActions("stories", {
      create: {
        // Not idempotent: a retry after a failure part-way would store it twice. The client decides.
        options: { retryPolicy: { enabled: false } },
        handler: (ctx) => stories.create(callerIdOf(ctx), ctx.params.mediaId, ctx.params.audience),
      },
      feed: { handler: (ctx) => stories.feed(callerIdOf(ctx)) },
      byUser: { handler: (ctx) => stories.listByUser(callerIdOf(ctx), ctx.params.username) },
      view: { handler: (ctx) => stories.view(callerIdOf(ctx), ctx.params.id) },
      viewers: {
        handler: (ctx) =>
          stories.viewers(callerIdOf(ctx), ctx.params.id, {
            limit: ctx.params.limit,
            ...(ctx.params.cursor !== undefined && { cursor: ctx.params.cursor }),
          }),
      },
      delete: { handler: (ctx) => stories.delete(callerIdOf(ctx), ctx.params.id) },
      /** For moderation: reports and removals. */
      reported: { handler: (ctx) => stories.reported(callerIdOf(ctx), ctx.params.id) },
      remove: { handler: (ctx) => stories.remove(ctx.params.id) },
      /** An erasure's step (lib/erasure): the account's stories. */
      erase: { handler: async (ctx) => ({ done: await stories.eraseAuthor(ctx.params.userId) }) },
    }),
  };
}
