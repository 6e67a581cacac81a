import { id } from "../validation/id";
import { z } from "zod";
import { username } from "../accounts/params";
import { boundedText } from "../validation/text";
import { pageParams } from "../validation/page";
import { audience } from "../audience/audience";

export const createPostParams = z.strictObject({
  caption: boundedText(0, 2200).optional(),
  mediaIds: z.array(id).min(1, "a post has 1 to 10 media").max(10, "a post has 1 to 10 media"),
  audience: audience.default("everyone"),
});

export const postIdParams = z.strictObject({ id });

/** An edit: the caption only (media and author stay as posted, as on Instagram). */
export const editPostParams = z.strictObject({ id, caption: boundedText(0, 2200) });

export const userPostsParams = z.strictObject({ username, ...pageParams });

export type CreatePostInput = z.output<typeof createPostParams>;
