import type { ServiceSchema } from "moleculer";
import { callerIdOf, defineAction } from "../broker/define-action";
import type { Accounts } from "../lib/accounts";
import { NotFoundError } from "../lib/errors";
import { createPostParams, postIdParams, userPostsParams } from "../lib/posts/params";
import type { Posts } from "../lib/posts/posts";

/** Posts: thin actions over lib/posts. */
export function createPostsService(deps: { posts: Posts; accounts: Accounts }): ServiceSchema {
  const { posts, accounts } = deps;
  return {
    name: "posts",
    actions: {
      create: defineAction({
        // Not idempotent: a retry after a failure part-way would store it twice. The client decides.
        options: { retryPolicy: { enabled: false } },
        params: createPostParams,
        handler: (ctx) => posts.create(callerIdOf(ctx), ctx.params),
      }),
      get: defineAction({
        params: postIdParams,
        handler: (ctx) => posts.get(callerIdOf(ctx), ctx.params.id),
      }),
      delete: defineAction({
        params: postIdParams,
        handler: (ctx) => posts.delete(callerIdOf(ctx), ctx.params.id),
      }),
      byUser: defineAction({
        params: userPostsParams,
        handler: async (ctx) => {
          const authorId = await accounts.idOf(ctx.params.username);
          if (authorId === undefined) throw new NotFoundError("USER_NOT_FOUND", "no such user");
          return posts.listByAuthor(callerIdOf(ctx), authorId, {
            limit: ctx.params.limit,
            ...(ctx.params.cursor !== undefined && { cursor: ctx.params.cursor }),
          });
        },
      }),
    },
  };
}
