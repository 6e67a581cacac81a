import { id } from "../validation/id";
import { z } from "zod";
import { username } from "../accounts/params";
import { pageParams } from "../validation/page";
import { boundedText } from "../validation/text";
import { NOTIFICATION_TYPES, reportOutcomeObject } from "../contracts/objects";

/** A conversation has 2 to 32 members, the caller included. */
export const MAX_OTHER_MEMBERS = 31;
export const MESSAGE_MAX_CHARS = 2000;
export const REPLAY_MAX_EVENTS = 500;
/** Recipients of one share; the gateway's own bound may be lower. */
export const SHARE_MAX_RECIPIENTS = 100;

export const notifyParams = z.strictObject({
  recipientId: id,
  type: z.enum(NOTIFICATION_TYPES),
  actorId: id,
  postId: id.optional(),
  commentId: id.optional(),
  report: reportOutcomeObject.optional(),
});

export const pageOnlyParams = z.strictObject(pageParams);

export const markReadParams = z.strictObject({ upToId: id.optional() });

export const openConversationParams = z.strictObject({
  usernames: z
    .array(username)
    .min(1, `name 1 to ${MAX_OTHER_MEMBERS} other people`)
    .max(MAX_OTHER_MEMBERS, `name 1 to ${MAX_OTHER_MEMBERS} other people`),
});

export const conversationIdParams = z.strictObject({ id });

export const conversationPageParams = z.strictObject({ id, ...pageParams });

const messageContent = {
  text: boundedText(1, MESSAGE_MAX_CHARS).optional(),
  mediaId: id.optional(),
  postId: id.optional(),
};

export const sendParams = z
  .strictObject({ id, ...messageContent })
  .refine((p) => p.text !== undefined || p.mediaId !== undefined || p.postId !== undefined, {
    message: "a message needs text, a mediaId or a postId",
    path: ["text"],
  });

/** A stored message as it crosses to each member's inbox owner. */
export const messageRecord = z.strictObject({
  id,
  conversationId: id,
  senderId: id,
  text: z
    .string()
    .max(4 * MESSAGE_MAX_CHARS)
    .optional(),
  mediaId: id.optional(),
  postId: id.optional(),
  removed: z.literal(true).optional(),
  createdAt: z.iso.datetime(),
});

export const deliverMessageParams = z.strictObject({ userId: id, message: messageRecord });

export const sharePostParams = z.strictObject({
  senderId: id,
  recipientIds: z.array(id).min(1).max(SHARE_MAX_RECIPIENTS),
  postId: id,
});

export const replayParams = z.strictObject({
  userId: id,
  afterId: id,
  limit: z.number().int().min(1).max(REPLAY_MAX_EVENTS).default(REPLAY_MAX_EVENTS),
});

export type MessageContent = Pick<z.output<typeof sendParams>, "text" | "mediaId" | "postId">;
export type MessageRecord = z.output<typeof messageRecord>;
