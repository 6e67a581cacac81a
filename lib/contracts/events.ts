import { z } from "zod";
import { messageObject, notificationObject } from "./objects";

/**
 * The events of `GET /api/stream` and the Moleculer events between services, with their payloads, in one map:
 * `emit`/`broadcast` and the handlers are typed from it.
 */

const id = z.string().regex(/^\d{1,20}$/);

/** One server-sent event; `id` is a Snowflake id, so that `Last-Event-ID` orders against the inbox's ids. */
export const streamEventObject = z.discriminatedUnion("event", [
  z.object({ id, event: z.literal("notification"), data: notificationObject }),
  z.object({ id, event: z.literal("message"), data: messageObject }),
  z.object({ id, event: z.literal("feed"), data: z.object({ postId: id }) }),
]);

export const eventContracts = {
  /** To every gateway: deliver `event` to the open streams of each user. */
  "stream.deliver": z.object({ userIds: z.array(z.string()), event: streamEventObject }),
  /** To every gateway: a session ended (logout); close its streams. */
  "stream.session-ended": z.object({ userId: z.string(), sessionId: z.string() }),
  /** To every service that hydrates posts: a post was deleted, so a row kept of it is gone. */
  "posts.deleted": z.object({ postId: z.string() }),
  /** To every service that hydrates posts: a post's caption was edited, so a row kept of it is stale. */
  "posts.edited": z.object({ postId: z.string() }),
  /** To every search node: index jobs were recorded, apply them now rather than on the next round. */
  "search.jobs": z.object({}),
  /**
   * To every timeline node: an account was suspended or let back, so a profile of it kept for feed pages is stale
   * (the rest of the cluster reads the account's row each time it shows it).
   */
  "accounts.standing-changed": z.object({ userId: z.string() }),
  /** To every timeline node: a post was published, so lists of recent posts kept in memory are stale. */
  "timeline.posted": z.object({ authorId: z.string() }),
} satisfies Record<string, z.ZodType>;

export type EventName = keyof typeof eventContracts;
export type PayloadOf<E extends EventName> = z.output<(typeof eventContracts)[E]>;
export type StreamEvent = z.output<typeof streamEventObject>;
