import type { ServiceSchema } from "moleculer";
import { call } from "../broker/calls";
import { keepsPostRows } from "../mixins/post-rows.mixin";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { Accounts } from "../lib/accounts";
import { NotFoundError } from "../lib/errors";
import type { Posts } from "../lib/posts/posts";

/** Not idempotent: a retry after a failure part-way would store it twice. The client decides. */
const NO_RETRY = { retryPolicy: { enabled: false } };
/** Posts one erasure call deletes: each takes what others left on it, a page at a time. */
const ERASED_PER_CALL = 10;

/** Posts: thin actions over lib/posts. */
export function createPostsService(deps: { posts: Posts; accounts: Accounts }): ServiceSchema {
  const { posts, accounts } = deps;
  return {
    name: "posts",
    mixins: [keepsPostRows(posts)],
    actions: defineActions("posts", {
      create: { options: NO_RETRY, handler: (ctx) => posts.create(callerIdOf(ctx), ctx.params) },
      get: { handler: (ctx) => posts.get(callerIdOf(ctx), ctx.params.id) },
      edit: {
        options: NO_RETRY,
        handler: (ctx) => posts.edit(callerIdOf(ctx), ctx.params.id, { caption: ctx.params.caption }),
      },
      /** For operators (admin.recountUser). */
      recount: {
        options: { timeout: 0 },
        handler: async (ctx) => ({ posts: await posts.recountPosts(ctx.params.userId) }),
      },
      delete: { handler: (ctx) => posts.delete(callerIdOf(ctx), ctx.params.id) },
      /** An erasure's step (lib/erasure): the account's posts, each with what others left on it. */
      erase: {
        options: { timeout: 0 },
        handler: async (ctx) => ({
          done: await posts.eraseSome(ctx.params.userId, ERASED_PER_CALL, (postId, cursor) =>
            call(ctx, "interactions.forgetPost", { postId, ...(cursor !== undefined && { cursor }) }),
          ),
        }),
      },
      /** For moderation's removals. */
      remove: { handler: (ctx) => posts.remove(ctx.params.id) },
      byUser: {
        handler: async (ctx) => {
          const authorId = await accounts.idOf(ctx.params.username);
          if (authorId === undefined) throw new NotFoundError("USER_NOT_FOUND", "no such user");
          return posts.listByAuthor(callerIdOf(ctx), authorId, {
            limit: ctx.params.limit,
            ...(ctx.params.cursor !== undefined && { cursor: ctx.params.cursor }),
          });
        },
      },
    }),
  };
}
