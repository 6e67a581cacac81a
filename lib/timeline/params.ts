import { z } from "zod";
import { isId } from "../ids";
import { pageParams } from "../validation/page";

const id = z.string().refine(isId, "must be an id (a decimal string)");

export const pushParams = z.strictObject({ userIds: z.array(id).max(1000), postId: id, authorId: id });
export const backfillParams = z.strictObject({ userId: id, authorId: id });
export const fanoutParams = z.strictObject({ postId: id, authorId: id });
export const feedParams = z.strictObject({
  ...pageParams,
  cursor: z
    .string()
    .max(64, "is not a cursor of ours")
    .regex(/^[0-9]+\.[A-Za-z0-9_-]+$/, "is not a cursor of ours")
    .optional(),
});

/** `GET /api/reels`: a page of video posts; the cursor names the source it resumes (see lib/timeline/reels.ts). */
export const reelsParams = z.strictObject({
  limit: z.coerce
    .number({ error: "must be a whole number from 1 to 50" })
    .int("must be a whole number from 1 to 50")
    .min(1, "must be a whole number from 1 to 50")
    .max(50, "must be a whole number from 1 to 50")
    .default(10),
  cursor: z
    .string()
    .max(400, "is not a cursor of ours")
    .regex(/^(f|e)(~[A-Za-z0-9._-]+)?$/, "is not a cursor of ours")
    .optional(),
});
