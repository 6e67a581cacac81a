import { z } from "zod";
import { isId } from "../ids";
import { pageLimit, pageParams } from "../validation/page";

const id = z.string().refine(isId, "must be an id (a decimal string)");

export const pushParams = z.strictObject({ userIds: z.array(id).max(1000), postId: id, authorId: id });
export const backfillParams = z.strictObject({ userId: id, authorId: id });
export const fanoutParams = z.strictObject({ postId: id, authorId: id });
export const feedParams = z.strictObject({
  ...pageParams,
  /** A chronological cursor (`<post id>.<mac>`), or a ranked one (`<ranking id>:<offset>`). */
  cursor: z
    .string()
    .max(64, "is not a cursor of ours")
    .regex(/^([0-9]+\.[A-Za-z0-9_-]+|[0-9a-f-]{36}:[0-9]{1,4})$/, "is not a cursor of ours")
    .optional(),
  order: z.enum(["chronological", "ranked"]).default("chronological"),
  /** With `order=ranked`: each post carries the terms of its score (`rank`). */
  explain: z
    .enum(["1", "0", "true", "false"])
    .optional()
    .transform((v) => v === "1" || v === "true"),
});

/** A ranked feed's cursor, as opposed to a chronological one. */
export function isRankedCursor(cursor: string): boolean {
  return cursor.includes(":");
}

/** `GET /api/reels`: a page of video posts; the cursor names the source it resumes (see lib/timeline/reels.ts). */
export const reelsParams = z.strictObject({
  limit: pageLimit(50, 10),
  cursor: z
    .string()
    .max(400, "is not a cursor of ours")
    .regex(/^(f|e)(~[A-Za-z0-9._-]+)?$/, "is not a cursor of ours")
    .optional(),
});
