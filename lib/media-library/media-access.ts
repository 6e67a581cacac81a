import type { WideRowStore } from "../store/store";
import { isPublicMedia } from "./media-view";
import { media } from "./tables";

/** What the gateway may do with a file: serve it to anyone, only at a signed URL, or never (absent, deleted). */
export type FileAccess = "public" | "signed" | "gone";

/** Long enough to absorb a page of thumbnails fetched at once, short enough that another node's change lands soon. */
const DEFAULT_CACHE_MS = 5_000;
const MAX_CACHED = 10_000;

/**
 * The gateway's question for every media file it serves: one point read of the media row named by the file's
 * path (owner and media id), remembered for a few seconds per node. Changes made on this node (a delete, a
 * change of privacy) forget the entry at once; a change made on another node is seen within `cacheMs`.
 */
export class MediaFileAccess {
  private readonly cached = new Map<string, { access: FileAccess; until: number }>();
  private readonly now: () => number;
  private readonly cacheMs: number;

  constructor(
    private readonly store: WideRowStore,
    options: { now?: () => number; cacheMs?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  }

  async of(ownerId: string, mediaId: string): Promise<FileAccess> {
    const key = `${ownerId}/${mediaId}`;
    const hit = this.cached.get(key);
    if (hit !== undefined && hit.until > this.now()) return hit.access;
    const row = await this.store.get(media, { owner_id: ownerId, media_id: mediaId });
    const access: FileAccess =
      row === undefined || row.deleted_at !== undefined ? "gone" : isPublicMedia(row) ? "public" : "signed";
    // Crude but bounded: paths are client-chosen, so a flood of made-up ids must not grow the map without end.
    if (this.cached.size >= MAX_CACHED) this.cached.clear();
    this.cached.set(key, { access, until: this.now() + this.cacheMs });
    return access;
  }

  /** Called by whoever changes a media's access on this node, so that this node applies it at once. */
  forget(ownerId: string, mediaId: string): void {
    this.cached.delete(`${ownerId}/${mediaId}`);
  }
}
