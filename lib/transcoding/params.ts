import { z } from "zod";
import { isId } from "../ids";

const id = z.string().refine(isId, "must be an id");

/** One transcode job, as the media service sends it. */
export const transcodeJobParams = z.strictObject({
  mediaId: id,
  ownerId: id,
  kind: z.enum(["image", "video"]),
  originalKey: z.string().min(1).max(512),
});

const storedVariant = z.object({
  key: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  contentType: z.string(),
});

/** A rendered job, or one that can never be rendered (an outcome: the media is marked failed, not retried). */
export const transcodeOutcome = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    result: z.object({
      width: z.number().int(),
      height: z.number().int(),
      durationMs: z.number().int().optional(),
      blurhash: z.string().optional(),
      variants: z.record(z.string(), storedVariant),
    }),
  }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);
