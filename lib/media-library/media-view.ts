import type { Row } from "../store/schema";
import type { media } from "./tables";

export interface StoredVariant {
  key: string;
  width: number;
  height: number;
  contentType: string;
}

/** The `media` object of api.md. */
export interface MediaView {
  id: string;
  type: "image" | "video";
  status: "processing" | "ready" | "failed";
  width: number | null;
  height: number | null;
  durationMs?: number | null;
  blurhash?: string | null;
  variants: Record<string, { url: string; width: number; height: number; contentType: string }>;
  failure?: string;
  createdAt: string;
}

export type MediaRow = Row<typeof media>;

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
  };
  if (kind === "video") view.durationMs = row.duration_ms ?? null;
  else view.blurhash = row.blurhash ?? null;
  if (status === "failed" && row.failure) view.failure = row.failure;
  return view;
}
