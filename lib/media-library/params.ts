import { id } from "../validation/id";
import { z } from "zod";
import { MAX_UPLOAD_BYTES } from "./limits";
import { boundedText } from "../validation/text";

/** The fields moleculer-web passes with the file of a multipart upload; only a `file` field is taken. */
/** Alt text, as Mastodon bounds it: what a photo or video shows, for people who use a screen reader. */
export const altText = boundedText(0, 1500).describe("what the media shows, for people who cannot see it");

export const uploadParams = z.strictObject({
  $fieldname: z.literal("file", { error: "send the file in the field named `file`" }),
  $filename: z.string().max(255).optional(),
  $encoding: z.string().max(32).optional(),
  $mimetype: z.string().max(255).optional(),
  /** Multipart uploads only: the alt text, as a form field (before the file, or after: it is applied then). */
  altText: altText.optional(),
});

export const mediaIdParams = z.strictObject({ id });

/** The owner's description of a media, before or after it is posted; null or "" removes it. */
export const describeMediaParams = z.strictObject({ id, altText: altText.nullable() });

export const startUploadParams = z.strictObject({
  filename: z.string().trim().min(1).max(255),
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  contentType: z.string().trim().min(3).max(100),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "lower-case hex of 64 characters")
    .optional(),
  altText: altText.optional(),
});

export const uploadIdParams = z.strictObject({ id });

export const putPartParams = z.strictObject({
  id,
  n: z.coerce
    .number()
    .int()
    .min(0)
    .max(Math.ceil(MAX_UPLOAD_BYTES / (5 * 1024 * 1024))),
});

export const presignParams = z.strictObject({
  contentType: z.string().trim().min(3).max(100),
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

export const avatarParams = z.strictObject({ ownerId: id, mediaId: id });

export const avatarChosenParams = z.strictObject({ ownerId: id, mediaId: id, isPrivate: z.boolean() });

export const ownerPrivacyParams = z.strictObject({ ownerId: id, isPrivate: z.boolean() });

/** A media whose transcoding failed for good, as operators list it. */
export const failedTranscodeObject = z
  .object({
    mediaId: z.string(),
    ownerId: z.string(),
    kind: z.enum(["image", "video"]),
    reason: z.string(),
    failedAt: z.string(),
  })
  .meta({ id: "FailedTranscode" });
export type FailedTranscode = z.output<typeof failedTranscodeObject>;
