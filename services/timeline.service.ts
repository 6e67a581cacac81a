import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { z } from "zod";
import { OWNER_STRATEGY, OwnerRing } from "../broker/owner-strategy";
import { periodicWork } from "../mixins/periodic-work.mixin";
import { callerIdOf, defineAction } from "../broker/define-action";
import type { Fanout, FanoutJob } from "../lib/timeline/fanout";
import type { Feed } from "../lib/timeline/feed";
import { backfillParams, fanoutParams, feedParams, pushParams } from "../lib/timeline/params";
import type { Timelines } from "../lib/timeline/timelines";
import { authorPosts } from "../lib/posts/tables";
import type { WideRowStore } from "../lib/store/store";
import type { PublishStreamEvent } from "../lib/stream/events";

const RESUME_EVERY_MS = 1_000;
/** A job younger than this is still being run by the node that recorded it (older ones: see the lease). */
const RESUME_AFTER_MS = 3_000;
const BACKFILL_POSTS = 20;
/**
 * A page of pushes to one owner takes well under a second; one that has not answered in this time went to a node
 * that died, and failing it now lets the resumer deliver the page again (idempotently) within the 10 s of
 * the crash, where the general request timeout would spend those 10 s waiting.
 */
const PUSH_TIMEOUT_MS = 2_000;
/** Routing of every per-user action: the owner of a user's timeline is the same node for all of them. */
const BY_CALLER = { strategy: OWNER_STRATEGY, strategyOptions: { shardKey: "#user.userId" } };
const BY_USER_PARAM = { strategy: OWNER_STRATEGY, strategyOptions: { shardKey: "userId" } };
/** `{authorId}`, to every timeline node: a post was published, so lists of recent posts kept in memory are stale. */
const POSTED = "timeline.posted";

export interface TimelineServiceDeps {
  store: WideRowStore;
  timelines: Timelines;
  fanout: Fanout;
  feed: Feed;
  /** Tells the readers' open streams that a post joined their feed. */
  publish: PublishStreamEvent;
}

/**
 * Per-user timeline actors. The Owner strategy (broker/owner-strategy.ts) routes every action of one user to one node (the owner),
 * which keeps that user's newest entries in memory and writes through to the store; when nodes join or leave the
 * ring moves, so memory is dropped and rebuilt from the store on the next read.
 */
export function createTimelineService(deps: TimelineServiceDeps): ServiceSchema {
  const { timelines, fanout, feed } = deps;
  let ring: OwnerRing | undefined;
  const ringMayHaveChanged = () => {
    if (ring?.changed() === true) timelines.forgetAll();
  };

  return {
    name: "timeline",
    mixins: [
      periodicWork([
        {
          name: "resuming fan-out jobs",
          everyMs: RESUME_EVERY_MS,
          run: (broker) => resumeFanouts(broker, fanout),
        },
      ]),
    ],
    actions: {
      feed: {
        ...defineAction({
          params: feedParams,
          handler: (ctx) =>
            feed.read(callerIdOf(ctx), {
              limit: ctx.params.limit,
              ...(ctx.params.cursor !== undefined && { cursor: ctx.params.cursor }),
            }),
        }),
        ...BY_CALLER,
      },
      /** Sent to one owner node with the users of one fan-out page it owns. */
      push: defineAction({
        visibility: "public",
        params: pushParams,
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
      }),
      /** A new follow: the followee's recent posts join the follower's timeline. */
      backfill: {
        ...defineAction({
          visibility: "public",
          params: backfillParams,
          handler: async (ctx) => {
            const recent = await authorPosts.first(deps.store, ctx.params.authorId, {
              limit: BACKFILL_POSTS,
            });
            await timelines.push(
              ctx.params.userId,
              recent.map((r) => ({ postId: r.post_id, authorId: ctx.params.authorId })),
            );
            return { added: recent.length };
          },
        }),
        ...BY_USER_PARAM,
      },
      /** For operators (the REPL's fanout-backlog): unfinished fan-out jobs. */
      backlog: defineAction({
        visibility: "public",
        params: z.strictObject({}),
        handler: async () => {
          const jobs = await fanout.pending(0);
          const oldest = jobs.reduce<number | null>(
            (min, j) => (min === null || j.createdAt < min ? j.createdAt : min),
            null,
          );
          return { jobs: jobs.length, oldestAgeMs: oldest === null ? null : Date.now() - oldest };
        },
      }),
      /** Runs a recorded fan-out job (any timeline node may). */
      fanout: defineAction({
        visibility: "public",
        params: fanoutParams,
        options: { timeout: 0 },
        handler: async (ctx) => {
          // Every post comes this way once it is stored; readers of a celebrity pull it instead of a push. Missing
          // the news only delays the post by a second, so it never holds up the fan-out.
          await Promise.resolve(
            ctx.broadcast(POSTED, { authorId: ctx.params.authorId }, { groups: ["timeline"] }),
          ).catch((err: unknown) => ctx.broker.logger.warn("telling timeline nodes of a post failed", err));
          ctx.broker.logger.info(`fan-out of post ${ctx.params.postId} started`);
          const ran = await fanout.run(ctx.params);
          ctx.broker.logger.info(
            `fan-out of post ${ctx.params.postId} ${ran ? "done" : "left to its lease holder"}`,
          );
          return { ran };
        },
      }),
    },
    events: {
      [POSTED]: {
        handler(ctx: Context<{ authorId: string }>) {
          feed.posted(ctx.params.authorId);
        },
      },
      // The ring of owners changed: what this node remembers of users it may no longer own, or owned before
      // someone else wrote to them, is stale.
      "$node.connected": ringMayHaveChanged,
      "$node.disconnected": ringMayHaveChanged,
      "$services.changed": ringMayHaveChanged,
    },
    started(this: { broker: ServiceBroker }) {
      const broker = this.broker;
      ring = new OwnerRing(broker, "timeline.feed");
      ring.changed();
      // Joining (or rejoining after a crash): callers that have not seen this node yet still route its users to
      // others, so nothing it would remember now is sure to stay complete.
      if (broker.transit !== undefined) timelines.forgetAll();
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
    broker.call("timeline.fanout", job).catch((err: unknown) => {
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
      const nodeId = endpoint.id;
      groups.set(nodeId, [...(groups.get(nodeId) ?? []), userId]);
    }
    await Promise.all(
      [...groups].map(([nodeID, ids]) =>
        broker.call(
          "timeline.push",
          { userIds: ids, postId: job.postId, authorId: job.authorId },
          { nodeID, timeout: PUSH_TIMEOUT_MS },
        ),
      ),
    );
  };
}
