import type { MediaView } from "../contracts/objects";
import type { Row } from "../store/schema";
import type { media } from "./tables";

export interface StoredVariant {
  key: string;
  width: number;
  height: number;
  contentType: string;
}

export type { MediaView } from "../contracts/objects";

export type MediaRow = Row<typeof media>;

/**
 * Whether `userId` may put the media in a new post, story or message: an upload of theirs that did not fail. One
 * still processing is fine, as Instagram lets a post go out while its photo renders: every view reads the media
 * row again, so it shows as processing (no variants) until the transcoder records its variants, then as ready.
 */
export function isAttachableBy(row: MediaRow | undefined, userId: string): row is MediaRow {
  return row !== undefined && row.owner_id === userId && row.status !== "failed";
}

/**
 * Who a media was shown to, widest last: its owner alone (an upload not used yet), the members of a conversation
 * (a direct message), the owner's close friends (a close friends' post or story), or whoever may see the owner's
 * posts (a post, a story, an avatar). Only the last is ever public, and only while the owner's account is.
 */
export type MediaAudience = "owner" | "conversation" | "close_friends" | "followers";

const AUDIENCE_ORDER: readonly MediaAudience[] = ["owner", "conversation", "close_friends", "followers"];

export function audienceOf(row: Pick<MediaRow, "audience">): MediaAudience {
  return AUDIENCE_ORDER.find((a) => a === row.audience) ?? "owner";
}

/** The wider of two audiences: a media shown in a post and then sent in a message stays as public as the post. */
export function widerAudience(a: MediaAudience, b: MediaAudience): MediaAudience {
  return AUDIENCE_ORDER.indexOf(a) >= AUDIENCE_ORDER.indexOf(b) ? a : b;
}

/** Whether its files are served at their plain URLs, to anyone; every other live media needs a signed URL. */
export function isPublicMedia(row: Pick<MediaRow, "is_public" | "deleted_at">): boolean {
  return row.is_public === true && row.deleted_at === undefined;
}

export function parseVariants(text: string | undefined): Record<string, StoredVariant> {
  if (!text) return {};
  return JSON.parse(text) as Record<string, StoredVariant>;
}

/** Builds the view; `urlOf` turns a blob key into the URL a client fetches (gateway, store or CDN). */
export async function toMediaView(
  row: MediaRow,
  urlOf: (key: string) => Promise<string>,
): Promise<MediaView> {
  const kind = row.kind === "video" ? "video" : "image";
  const status = row.status === "ready" || row.status === "failed" ? row.status : "processing";
  const variants: MediaView["variants"] = {};
  for (const [name, v] of Object.entries(parseVariants(row.variants))) {
    variants[name] = {
      url: await urlOf(v.key),
      width: v.width,
      height: v.height,
      contentType: v.contentType,
    };
  }
  const view: MediaView = {
    id: row.media_id,
    type: kind,
    status,
    width: row.width ?? null,
    height: row.height ?? null,
    variants: status === "ready" ? variants : {},
    createdAt: (row.created_at ?? new Date(0)).toISOString(),
    altText: row.alt_text ? row.alt_text : null,
  };
  if (kind === "video") view.durationMs = row.duration_ms ?? null;
  else view.blurhash = row.blurhash ?? null;
  if (status === "failed" && row.failure) view.failure = row.failure;
  return view;
}
