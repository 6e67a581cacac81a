import type { UserView } from "../accounts/user-view";
import { LruMap } from "../concurrency/lru-map";
import type { Page, PageRequest } from "../validation/page";
import { mapLimit } from "./map-limit";
import type { BlockLists, FollowLists, UserViews } from "./ports";
import { SealedCursor } from "./sealed-cursor";
import { bySuggestionOrder, rankSuggestions, type Suggestion } from "./suggestion-rank";

/** The reader's newest follows walked, and the newest follows read of each: at most 40,000 edges a ranking. */
const WALKED = 200;
const FOLLOWS_OF_EACH = 200;
/** Follows and blocks of the reader left out (the lists are read up to this many). */
const MAX_EXCLUDED = 5_000;
const MAX_SUGGESTIONS = 500;
/** A reader's ranking is kept this long per node: paging it costs no new walk. */
const KEPT_MS = 60_000;
const KEPT_READERS = 10_000;
const PARALLEL = 16;

const cursors = new SealedCursor("suggested", [/^[0-9]{1,6}$/, /^[1-9][0-9]{0,18}$/]);

/**
 * Accounts to follow: those followed by the people the reader follows, ranked by how many of them follow each.
 * The walk is bounded (the reader's 200 newest follows, 200 newest follows of each) and its ranking kept per node
 * for a minute. The cursor is the last suggestion's place in the order (mutuals, then id), not an offset, so an
 * account the reader follows meanwhile (dropped from the page at hydration, as are blocks and requests) shifts
 * nothing, and another node, or a new ranking, goes on from the same place.
 */
export class Suggestions {
  private readonly kept = new LruMap<string, { at: number; ranked: readonly Suggestion[] }>(KEPT_READERS);
  private readonly now: () => number;

  constructor(
    private readonly deps: {
      follows: FollowLists;
      blocks: BlockLists;
      users: UserViews;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
  }

  async page(viewerId: string, request: PageRequest): Promise<Page<UserView>> {
    const ranked = await this.rankedFor(viewerId);
    let next = 0;
    if (request.cursor !== undefined) {
      const [mutuals = "0", userId = ""] = cursors.open(viewerId, request.cursor);
      const after: Suggestion = { userId, mutuals: Number(mutuals) };
      const start = ranked.findIndex((s) => bySuggestionOrder(s, after) > 0);
      next = start < 0 ? ranked.length : start;
    }
    const items: UserView[] = [];
    while (items.length < request.limit && next < ranked.length) {
      const chunk = ranked.slice(next, next + request.limit - items.length);
      const views = await Promise.all(chunk.map((s) => this.deps.users.view(viewerId, s.userId)));
      for (const view of views) {
        next++;
        const standing = view?.relationship;
        if (view === undefined || standing?.following || standing?.requested || standing?.blocking) continue;
        items.push(view);
      }
    }
    const last = ranked[next - 1];
    return {
      items,
      nextCursor:
        next < ranked.length && last !== undefined
          ? cursors.seal(viewerId, [String(last.mutuals), last.userId])
          : null,
    };
  }

  private async rankedFor(viewerId: string): Promise<readonly Suggestion[]> {
    const now = this.now();
    const kept = this.kept.get(viewerId);
    if (kept !== undefined && now - kept.at < KEPT_MS) return kept.ranked;
    const [following, blocked] = await Promise.all([
      this.deps.follows.followingIds(viewerId, MAX_EXCLUDED),
      this.deps.blocks.blockedEitherWayIds(viewerId, MAX_EXCLUDED),
    ]);
    const lists = await mapLimit(following.slice(0, WALKED), PARALLEL, (userId) =>
      this.deps.follows.followingIds(userId, FOLLOWS_OF_EACH),
    );
    const excluded = new Set([viewerId, ...following, ...blocked]);
    const ranked = rankSuggestions(lists, excluded, MAX_SUGGESTIONS);
    this.kept.set(viewerId, { at: now, ranked });
    return ranked;
  }
}
