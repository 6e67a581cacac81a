import { z } from "zod";
import { id, username } from "../accounts/params";
import { pageParams } from "../validation/page";
import { boundedText } from "../validation/text";

export const MAX_SHARE_RECIPIENTS = 31;

/** A post named in the path: like, unlike, save, unsave. */
export const postIdParams = z.strictObject({ id });

/** A page of one post's likers or comments. */
export const postPageParams = z.strictObject({ id, ...pageParams });

export const commentParams = z.strictObject({
  id,
  text: boundedText(1, 2200),
  replyToId: id.optional(),
});

export const commentIdParams = z.strictObject({ id });

export const savedParams = z.strictObject(pageParams);

export const shareParams = z.strictObject({
  id,
  usernames: z
    .array(username)
    .min(1, `share with 1 to ${MAX_SHARE_RECIPIENTS} people`)
    .max(MAX_SHARE_RECIPIENTS, `share with 1 to ${MAX_SHARE_RECIPIENTS} people`),
});

export type CommentInput = z.output<typeof commentParams>;
export type PageInput = z.output<typeof savedParams>;
