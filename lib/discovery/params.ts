import { z } from "zod";
import { parseHashtags } from "../posts/caption";
import { pageLimit, pageParams } from "../validation/page";

/**
 * A tag in a path, as a person types it: with or without its `#`, any case. It is read the way a caption's tag
 * is (`parseHashtags`), so `/api/tags/Café/posts` pages the posts whose captions say `#café` or `#CAFÉ`.
 */
export const tagName = z
  .string()
  .regex(/^#?[\p{L}\p{N}_]{1,100}$/u, "is not a hashtag: letters, digits and _ only, at most 100")
  .transform((raw, ctx) => {
    const [tag] = parseHashtags(raw.startsWith("#") ? raw : `#${raw}`);
    if (tag === undefined) {
      ctx.addIssue({ code: "custom", message: "is not a hashtag: a tag of digits only is a number" });
      return z.NEVER;
    }
    return tag;
  });

export const tagPostsParams = z.strictObject({ tag: tagName, ...pageParams });

export const trendingParams = z.strictObject({ limit: pageLimit(50, 10) });

export const explorePageParams = z.strictObject({ ...pageParams });

export const suggestedParams = z.strictObject({ ...pageParams });
