import type { ServiceSchema } from "moleculer";
import { callerIdOf, defineAction } from "../broker/define-action";
import {
  createStoryParams,
  storyFeedParams,
  storyIdParams,
  storyViewersParams,
  userStoriesParams,
} from "../lib/stories/params";
import type { Stories } from "../lib/stories/stories";

/** Stories: thin actions over lib/stories. */
export function createStoriesService(deps: { stories: Stories }): ServiceSchema {
  const { stories } = deps;
  return {
    name: "stories",
    actions: {
      create: defineAction({
        // Not idempotent: a retry after a failure part-way would store it twice. The client decides.
        options: { retryPolicy: { enabled: false } },
        params: createStoryParams,
        handler: (ctx) => stories.create(callerIdOf(ctx), ctx.params.mediaId),
      }),
      feed: defineAction({
        params: storyFeedParams,
        handler: (ctx) => stories.feed(callerIdOf(ctx)),
      }),
      byUser: defineAction({
        params: userStoriesParams,
        handler: (ctx) => stories.listByUser(callerIdOf(ctx), ctx.params.username),
      }),
      view: defineAction({
        params: storyIdParams,
        handler: (ctx) => stories.view(callerIdOf(ctx), ctx.params.id),
      }),
      viewers: defineAction({
        params: storyViewersParams,
        handler: (ctx) =>
          stories.viewers(callerIdOf(ctx), ctx.params.id, {
            limit: ctx.params.limit,
            ...(ctx.params.cursor !== undefined && { cursor: ctx.params.cursor }),
          }),
      }),
      delete: defineAction({
        params: storyIdParams,
        handler: (ctx) => stories.delete(callerIdOf(ctx), ctx.params.id),
      }),
    },
  };
}
