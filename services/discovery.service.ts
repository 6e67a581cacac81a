import type { ServiceSchema } from "moleculer";
import { keepsPostRows } from "../mixins/post-rows.mixin";
import { periodicWork } from "../mixins/periodic-work.mixin";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { Discovery } from "../lib/discovery";
import type { Posts } from "../lib/posts/posts";

/**
 * Discovery: tag pages, trending tags, explore and suggested accounts, thin actions over lib/discovery. Every
 * discovery node tries each round of trending and explore; the one that takes the round's lease computes it and
 * the others answer from the stored snapshot.
 */
export function createDiscoveryService(deps: { discovery: Discovery; posts: Posts }): ServiceSchema {
  const { discovery } = deps;
  const { roundSeconds, holder } = discovery;
  return {
    name: "discovery",
    mixins: [
      keepsPostRows(deps.posts),
      periodicWork([
        {
          name: "computing trending tags",
          everyMs: roundSeconds * 1000,
          run: () => discovery.trending.refresh(holder, roundSeconds),
        },
        {
          name: "ranking explore",
          everyMs: roundSeconds * 1000,
          run: () => discovery.explore.refresh(holder, roundSeconds),
        },
      ]),
    ],
    started() {
      // A first round at once, so that a node just started does not answer empty lists for a whole round.
      for (const [name, run] of [
        ["trending tags", () => discovery.trending.refresh(holder, roundSeconds)],
        ["explore", () => discovery.explore.refresh(holder, roundSeconds)],
      ] as const) {
        void run().catch((err: unknown) =>
          this.logger.warn(`computing ${name} at start failed`, err instanceof Error ? err.message : err),
        );
      }
    },
    actions: defineActions("discovery", {
      tagPosts: {
        handler: (ctx) =>
          discovery.tagFeed.page(callerIdOf(ctx), ctx.params.tag, {
            limit: ctx.params.limit,
            cursor: ctx.params.cursor,
          }),
      },
      trending: {
        handler: async (ctx) => ({ items: await discovery.trending.top(callerIdOf(ctx), ctx.params.limit) }),
      },
      explore: {
        handler: (ctx) =>
          discovery.explore.page(callerIdOf(ctx), { limit: ctx.params.limit, cursor: ctx.params.cursor }),
      },
      suggested: {
        handler: (ctx) =>
          discovery.suggestions.page(callerIdOf(ctx), { limit: ctx.params.limit, cursor: ctx.params.cursor }),
      },
    }),
  };
}
