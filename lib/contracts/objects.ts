import { z } from "zod";
import { audience } from "../audience/audience";
import { REPORT_OUTCOMES, REPORT_TARGETS } from "../moderation/params";

/**
 * The objects of api.md as schemas: the types the code builds them with are inferred from these, the OpenAPI
 * document is generated from them, and tests check every answer against them, so the three cannot disagree.
 * `meta({ id })` names a schema once in the document's components.
 */

const id = z
  .string()
  .regex(/^\d{1,20}$/)
  .describe("a Snowflake id, as a decimal string");
const time = z.string().describe("ISO-8601 UTC");

export const relationshipObject = z
  .object({ following: z.boolean(), followedBy: z.boolean(), requested: z.boolean(), blocking: z.boolean() })
  .meta({ id: "Relationship" });

export const userObject = z
  .object({
    id,
    username: z.string(),
    displayName: z.string(),
    bio: z.string(),
    avatarUrl: z.string().nullable(),
    isPrivate: z.boolean(),
    createdAt: time,
    counts: z.object({ followers: z.number().int(), following: z.number().int(), posts: z.number().int() }),
    relationship: relationshipObject
      .optional()
      .describe("how the caller and this user are related; not on oneself"),
    email: z.string().optional().describe("only on /api/me"),
    emailVerified: z
      .boolean()
      .optional()
      .describe("only on /api/me: whether a mailed link confirmed the address"),
    role: z
      .enum(["admin", "moderator"])
      .optional()
      .describe("only on /api/me, and only for an admin or a moderator"),
  })
  .meta({ id: "User" });

export const variantObject = z
  .object({ url: z.string(), width: z.number().int(), height: z.number().int(), contentType: z.string() })
  .meta({ id: "Variant" });

export const mediaObject = z
  .object({
    id,
    type: z.enum(["image", "video"]),
    status: z.enum(["processing", "ready", "failed"]),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    durationMs: z.number().int().nullable().optional().describe("videos only"),
    blurhash: z.string().nullable().optional().describe("images only"),
    variants: z
      .record(z.string(), variantObject)
      .describe("images: thumb, small, large; videos: mp4, poster; empty until ready"),
    failure: z.string().optional().describe("why transcoding failed"),
    createdAt: time,
    altText: z.string().nullable().describe("what it shows, for people who cannot see it; null: none given"),
  })
  .meta({ id: "Media" });

export const postObject = z
  .object({
    id,
    author: userObject,
    caption: z.string(),
    hashtags: z.array(z.string()).describe("lower-case, without #"),
    mentions: z.array(z.string()).describe("usernames, without @"),
    media: z.array(mediaObject),
    createdAt: time,
    editedAt: time.optional().describe("when the author last edited the caption; absent if never"),
    audience,
    likeCount: z.number().int(),
    commentCount: z.number().int(),
    viewCount: z
      .number()
      .int()
      .optional()
      .describe("times shown to others (one per viewer a day); the author only"),
    playCount: z
      .number()
      .int()
      .optional()
      .describe("times its video was played (one per viewer a day); the author only"),
    likedByMe: z.boolean(),
    savedByMe: z.boolean(),
  })
  .meta({ id: "Post" });

/** A post of the ranked feed: with `explain=1`, the terms of its score. */
export const rankedPostObject = postObject
  .extend({
    rank: z
      .object({ total: z.number(), recency: z.number(), engagement: z.number(), affinity: z.number() })
      .optional()
      .describe(
        "with order=ranked&explain=1: the score and its weighted terms (recency, engagement, affinity)",
      ),
  })
  .meta({ id: "RankedPost" });

export const tagObject = z
  .object({
    tag: z.string().describe("lower-case, without #"),
    postCount: z.number().int().describe("posts that carry the tag now"),
  })
  .meta({ id: "TagCount" });

export const commentObject = z
  .object({ id, postId: id, author: userObject, text: z.string(), createdAt: time, replyToId: id.nullable() })
  .meta({ id: "Comment" });

export const storyObject = z
  .object({
    id,
    author: userObject,
    media: mediaObject,
    createdAt: time,
    expiresAt: time,
    seenByMe: z.boolean(),
    audience,
  })
  .meta({ id: "Story" });

export const storyGroupObject = z
  .object({ user: userObject, stories: z.array(storyObject).describe("oldest first"), allSeen: z.boolean() })
  .meta({ id: "StoryGroup" });

export const NOTIFICATION_TYPES = [
  "like",
  "comment",
  "follow",
  "follow_request",
  "follow_accepted",
  "mention",
  /** A report the recipient made was decided; `report` says how. The actor is the recipient themself. */
  "report_resolved",
] as const;

/** How a report ended, as its reporter is told. */
export const reportOutcomeObject = z
  .object({
    id: id.describe("the report's case"),
    targetType: z.enum(REPORT_TARGETS),
    outcome: z.enum(REPORT_OUTCOMES),
  })
  .meta({ id: "ReportOutcome" });

export const notificationObject = z
  .object({
    id,
    type: z.enum(NOTIFICATION_TYPES),
    actor: userObject,
    postId: id.optional(),
    commentId: id.optional(),
    report: reportOutcomeObject.optional().describe("report_resolved only"),
    createdAt: time,
    read: z.boolean(),
  })
  .meta({ id: "Notification" });

export const messageObject = z
  .object({
    id,
    conversationId: id,
    sender: userObject,
    text: z.string().optional(),
    media: mediaObject.optional(),
    postId: id.optional(),
    removed: z
      .boolean()
      .optional()
      .describe("true when a moderator removed the message, or the post it shares: its content is gone"),
    createdAt: time,
  })
  .meta({ id: "Message" });

export const conversationObject = z
  .object({
    id,
    members: z.array(userObject),
    lastMessage: messageObject.nullable(),
    unreadCount: z.number().int(),
  })
  .meta({ id: "Conversation" });

/** api.md's answer for a list. */
export const muteObject = z
  .object({
    muting: z.boolean(),
    until: time.nullable().describe("when the mute ends; null: until undone, or not muting"),
  })
  .meta({ id: "Mute" });

export const mutedUserObject = z
  .object({ user: userObject, until: time.nullable().describe("when the mute ends; null: until undone") })
  .meta({ id: "MutedUser" });

export const sessionObject = z
  .object({
    id,
    createdAt: time,
    lastUsedAt: time.describe("when it was last used, to within five minutes"),
    userAgent: z.string().describe("as the client sent it at sign-in"),
    address: z
      .string()
      .describe("the client's address at sign-in, as the trusted proxies (TRUST_PROXY) give it"),
    current: z.boolean().describe("the session of this request"),
  })
  .meta({ id: "Session" });

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe("null at the end; pass it as `cursor` for the next page"),
  });
}

export type Relationship = z.infer<typeof relationshipObject>;
export type UserView = z.infer<typeof userObject>;
export type MediaView = z.infer<typeof mediaObject>;
export type PostView = z.infer<typeof postObject>;
export type TagView = z.infer<typeof tagObject>;
export type CommentView = z.infer<typeof commentObject>;
export type StoryView = z.infer<typeof storyObject>;
export type StoryGroup = z.infer<typeof storyGroupObject>;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export type NotificationView = z.infer<typeof notificationObject>;
export type ReportOutcomeView = z.infer<typeof reportOutcomeObject>;
export type MessageView = z.infer<typeof messageObject>;
export type ConversationView = z.infer<typeof conversationObject>;
export type MuteView = z.infer<typeof muteObject>;
export type SessionView = z.infer<typeof sessionObject>;
export type MutedUserView = z.infer<typeof mutedUserObject>;
