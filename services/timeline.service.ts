import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { rowsForTimeline } from "../lib/audience/audience";
import { keepsPostRows } from "../mixins/post-rows.mixin";
import type { PayloadOf } from "../lib/contracts";
import { call, broadcast } from "../broker/calls";
import { actor, byCaller, byParam } from "../mixins/actor.mixin";
import { periodicWork } from "../mixins/periodic-work.mixin";
import { callerIdOf, defineActions } from "../broker/define-action";
import type { Fanout, FanoutJob } from "../lib/timeline/fanout";
import type { Feed } from "../lib/timeline/feed";
import type { PostJson } from "../lib/posts/post-json";
import type { Posts } from "../lib/posts/posts";
import type { Timelines } from "../lib/timeline/timelines";
import type { Graph } from "../lib/graph";
import { BACKFILL_POSTS, rebuildTimeline } from "../lib/timeline/rebuild";
import { TimelineErasure } from "../lib/timeline/erasure";
import { readReels } from "../lib/timeline/reels";
import { isRankedCursor } from "../lib/timeline/params";
import { asSerialized } from "../lib/contracts/serialized";
import type { RankedFeed } from "../lib/ranking";
import { authorPosts } from "../lib/posts/tables";
import type { WideRowStore } from "../lib/store/store";
import type { PublishStreamEvent } from "../lib/stream/events";

const RESUME_EVERY_MS = 1_000;
/** A job younger than this is still being run by the node that recorded it (older ones: see the lease). */
const RESUME_AFTER_MS = 3_000;
/**
 * A page of pushes to one owner takes well under a second; one that has not answered in this time went to a node
 * that died, and failing it now lets the resumer deliver the page again (idempotently) within the 10 s of
 * the crash, where the general request timeout would spend those 10 s waiting.
 */
const PUSH_TIMEOUT_MS = 2_000;
export interface TimelineServiceDeps {
  store: WideRowStore;
  timelines: Timelines;
  fanout: Fanout;
  feed: Feed;
  /** `?order=ranked`: the reader's newest posts scored, kept ranked for their next pages. */
  ranked: RankedFeed;
  /** Serialises the feed's pages, each post from the parts this node serialised before. */
  postJson: PostJson;
  /** Keeps the rows of the posts it hydrates; told here when one is deleted. */
  posts: Posts;
  /** Tells the readers' open streams that a post joined their feed. */
  publish: PublishStreamEvent;
  /** Whom a user follows, for an operator's rebuild of their timeline. */
  graph: Graph;
}

/**
 * Per-user timeline actors (mixins/actor.mixin.ts): the owner of a user keeps their newest entries in memory and
 * writes through to the store. Fan-out jobs run on any timeline node and push each page to the owners.
 */
export function createTimelineService(deps: TimelineServiceDeps): ServiceSchema {
  const { timelines, fanout, feed } = deps;
  const erasure = new TimelineErasure(deps);
  return {
    name: "timeline",
    mixins: [
      actor({
        ringAction: "timeline.feed",
        forgetAll: () => {
          timelines.forgetAll();
          feed.forgetAll();
        },
      }),
      keepsPostRows(deps.posts),
      periodicWork([
        {
          name: "resuming fan-out jobs",
          everyMs: RESUME_EVERY_MS,
          run: (broker) => resumeFanouts(broker, fanout),
        },
      ]),
    ],
    actions: defineActions("timeline", {
      feed: {
        options: byCaller,
        handler: async (ctx) => {
          const { order, explain, cursor, limit } = ctx.params;
          const readerId = callerIdOf(ctx);
          // A ranked read's first page, or a page of its ranking; past the ranking its cursors are chronological.
          if (order === "ranked" && (cursor === undefined || isRankedCursor(cursor))) {
            const page = await deps.ranked.read(readerId, {
              limit,
              explain,
              ...(cursor !== undefined && { cursor }),
            });
            // Without the terms the posts are plain ones, written from the parts this node serialised before.
            return explain ? asSerialized(JSON.stringify(page)) : deps.postJson.page(page);
          }
          return deps.postJson.page(
            await feed.read(readerId, { limit, ...(cursor !== undefined && { cursor }) }),
          );
        },
      },
      /** On the caller's owner, whose feed is read here; explore's part comes from the discovery service. */
      reels: {
        options: byCaller,
        handler: (ctx) =>
          readReels(
            {
              feed: (viewerId, page) => feed.read(viewerId, page),
              // With the caller's meta (and its proof): explore leaves out whom they follow and who blocks them.
              explore: (page) => call(ctx, "discovery.explore", page),
            },
            callerIdOf(ctx),
            {
              limit: ctx.params.limit,
              ...(ctx.params.cursor !== undefined && { cursor: ctx.params.cursor }),
            },
          ),
      },
      /** Sent to one owner node with the users of one fan-out page it owns. */
      push: {
        handler: async (ctx) => {
          const entry = { postId: ctx.params.postId, authorId: ctx.params.authorId };
          await Promise.all(ctx.params.userIds.map((userId) => timelines.push(userId, [entry])));
          // The author saw their own post in the answer; everyone else hears of it on their stream.
          const readers = ctx.params.userIds.filter((userId) => userId !== entry.authorId);
          if (readers.length > 0) {
            deps.publish(readers, { id: entry.postId, event: "feed", data: { postId: entry.postId } });
          }
          return { pushed: ctx.params.userIds.length };
        },
      },
      /** A new follow: the followee's recent posts join the follower's timeline. */
      backfill: {
        options: byParam("userId"),
        handler: async (ctx) => {
          const recent = await rowsForTimeline(
            deps.graph.closeFriends,
            ctx.params.userId,
            ctx.params.authorId,
            await authorPosts.first(deps.store, ctx.params.authorId, { limit: BACKFILL_POSTS }),
          );
          await timelines.push(
            ctx.params.userId,
            recent.map((r) => ({ postId: r.post_id, authorId: ctx.params.authorId })),
          );
          return { added: recent.length };
        },
      },
      /** For operators (admin.rebuildTimeline): the user's timeline written back from whom they follow. */
      rebuild: {
        options: byParam("userId"),
        handler: (ctx) =>
          rebuildTimeline(
            { store: deps.store, graph: deps.graph, timelines, celebrityIds: () => fanout.celebrityIds() },
            ctx.params.userId,
          ),
      },
      /** For operators (the REPL's fanout-backlog): unfinished fan-out jobs. */
      backlog: {
        handler: async () => {
          const jobs = await fanout.pending(0);
          const oldest = jobs.reduce<number | null>(
            (min, j) => (min === null || j.createdAt < min ? j.createdAt : min),
            null,
          );
          return { jobs: jobs.length, oldestAgeMs: oldest === null ? null : Date.now() - oldest };
        },
      },
      /** An erasure's step (lib/erasure): the account's posts out of its followers' timelines, then its own. */
      erase: {
        options: { timeout: 0 },
        handler: async (ctx) => {
          const progress = await erasure.erase(ctx.params.userId, ctx.params.cursor);
          if (progress.done) feed.forgetAuthor(ctx.params.userId);
          return progress;
        },
      },
      /** Runs a recorded fan-out job (any timeline node may). */
      fanout: {
        options: { timeout: 0 },
        handler: async (ctx) => {
          // Every post comes this way once it is stored; readers of a celebrity pull it instead of a push. Missing
          // the news only delays the post by a second, so it never holds up the fan-out.
          await broadcast(ctx, "timeline.posted", { authorId: ctx.params.authorId }, ["timeline"]).catch(
            (err: unknown) => ctx.broker.logger.warn("telling timeline nodes of a post failed", err),
          );
          ctx.broker.logger.info(`fan-out of post ${ctx.params.postId} started`);
          const ran = await fanout.run(ctx.params);
          ctx.broker.logger.info(
            `fan-out of post ${ctx.params.postId} ${ran ? "done" : "left to its lease holder"}`,
          );
          return { ran };
        },
      },
    }),
    events: {
      "timeline.posted": {
        handler(ctx: Context<PayloadOf<"timeline.posted">>) {
          feed.posted(ctx.params.authorId);
        },
      },
      "accounts.standing-changed": {
        handler(ctx: Context<PayloadOf<"accounts.standing-changed">>) {
          feed.forgetAuthor(ctx.params.userId);
        },
      },
    },
  };
}

async function resumeFanouts(broker: ServiceBroker, fanout: Fanout): Promise<void> {
  for (const job of await fanout.pending(RESUME_AFTER_MS)) {
    const resumed = await fanout.run(job, () => broker.logger.info(`resuming fan-out of post ${job.postId}`));
    if (resumed) broker.logger.info(`resumed fan-out of post ${job.postId}`);
  }
}

/** Starts a recorded job on some timeline node; if that fails, the resumer picks it up. */
export function startFanout(broker: ServiceBroker): (job: FanoutJob) => void {
  return (job) => {
    // The job's row carries the rest (its audience); the call names it only.
    call(broker, "timeline.fanout", { postId: job.postId, authorId: job.authorId }).catch((err: unknown) => {
      broker.logger.warn(
        `fan-out of ${job.postId} will be resumed`,
        err instanceof Error ? err.message : err,
      );
    });
  };
}

/** Delivers a page of followers: grouped by the node that owns each timeline, one call per node. */
export function deliverByOwner(broker: ServiceBroker) {
  return async (userIds: readonly string[], job: FanoutJob): Promise<void> => {
    const groups = new Map<string, string[]>();
    for (const userId of userIds) {
      const probe = { params: {}, meta: { user: { userId } } } as unknown as Context;
      const endpoint = broker.findNextActionEndpoint("timeline.feed", {}, probe);
      if (endpoint instanceof Error) throw endpoint;
      const group = groups.get(endpoint.id);
      if (group === undefined) groups.set(endpoint.id, [userId]);
      else group.push(userId);
    }
    await Promise.all(
      [...groups].map(([nodeID, ids]) =>
        call(
          broker,
          "timeline.push",
          { userIds: ids, postId: job.postId, authorId: job.authorId },
          { nodeID, timeout: PUSH_TIMEOUT_MS },
        ),
      ),
    );
  };
}
