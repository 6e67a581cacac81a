import { BadRequestError } from "../errors";
import type { PostView } from "../contracts/objects";
import type { Page } from "../validation/page";

/** Pages of candidates read for one page of reels: videos are a part of all posts, so a page may come short. */
const MAX_ROUNDS = 5;

/** Where a reader's reels come from, in order: the followed accounts' posts, then explore's. */
export interface ReelSources {
  feed(viewerId: string, page: { limit: number; cursor?: string }): Promise<Page<PostView>>;
  explore(page: { limit: number; cursor?: string }): Promise<Page<PostView>>;
}

type Phase = "f" | "e";

/** A post that plays as a reel: one with a video ready to play (its mp4 and poster made). */
export function isReel(post: PostView): boolean {
  return post.media.some((m) => m.type === "video" && m.status === "ready");
}

/**
 * `GET /api/reels`: video posts, vertically, from the accounts the reader follows first (newest first, as the
 * feed has them), then explore's (accounts they do not follow, by heat). The cursor names the source and its own
 * cursor (each sealed by its source), so a page resumes where the last one stopped in either. Each round asks the
 * source for exactly the reels still wanted, so no post read is dropped between pages; when videos are rare a
 * page comes short with a cursor, as the feed's do.
 */
export async function readReels(
  sources: ReelSources,
  viewerId: string,
  request: { limit: number; cursor?: string },
): Promise<Page<PostView>> {
  let { phase, inner } = openCursor(request.cursor);
  const items: PostView[] = [];
  for (let round = 0; round < MAX_ROUNDS && items.length < request.limit; round++) {
    const want = request.limit - items.length;
    const page = await (phase === "f"
      ? sources.feed(viewerId, { limit: want, ...(inner !== undefined && { cursor: inner }) })
      : sources.explore({ limit: want, ...(inner !== undefined && { cursor: inner }) }));
    items.push(...page.items.filter((post) => isReel(post) && post.author.id !== viewerId));
    if (page.nextCursor !== null) inner = page.nextCursor;
    else if (phase === "f") [phase, inner] = ["e", undefined];
    else return { items, nextCursor: null };
  }
  return { items, nextCursor: sealCursor(phase, inner) };
}

function sealCursor(phase: Phase, inner: string | undefined): string {
  return inner === undefined ? phase : `${phase}~${inner}`;
}

function openCursor(cursor: string | undefined): { phase: Phase; inner: string | undefined } {
  if (cursor === undefined) return { phase: "f", inner: undefined };
  const match = /^(f|e)(?:~(.+))?$/.exec(cursor);
  if (!match) throw new BadRequestError("INVALID_CURSOR", "the cursor is not one of ours");
  return { phase: match[1] as Phase, inner: match[2] };
}
