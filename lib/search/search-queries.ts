import type { Accounts } from "../accounts";
import type { DiscoveryStanding } from "../accounts/discovery-standing";
import type { PostView, TagView, UserView } from "../contracts/objects";
import type { Graph } from "../graph";
import type { SearchMetrics } from "../metrics/search-metrics";
import type { Posts } from "../posts/posts";
import type { Page } from "../validation/page";
import type { SearchInput } from "./params";
import type { SearchHits, SearchIndex } from "./search-index";

/** How many of the caller's follows and blocks a query carries: the engines' terms filters stay small. */
const MAX_RELATIONS = 5_000;

export type SearchAnswer = Page<UserView> | Page<TagView> | Page<PostView>;

/**
 * `GET /api/search`: the caller's relations go into the query (blocks either way left out, private authors'
 * posts only where the caller follows them), so a page of N is N whenever N visible results exist; the ids the
 * engine answers are then hydrated from the store, which checks each again (a block made a moment ago).
 */
export class SearchQueries {
  constructor(
    private readonly deps: {
      index: SearchIndex;
      graph: Graph;
      accounts: Accounts;
      posts: Posts;
      /** Accounts held for review after many reports: left out of search until a moderator decides. */
      standing?: Pick<DiscoveryStanding, "held">;
      metrics?: SearchMetrics;
    },
  ) {}

  async search(viewerId: string, input: SearchInput): Promise<SearchAnswer> {
    const paging = { limit: input.limit, offset: input.cursor ?? 0 };
    switch (input.type) {
      case "users": {
        const [excludeIds, followedIds] = await this.relations(viewerId);
        const hits = await this.timed("users", () =>
          this.deps.index.searchUsers({ text: input.q, ...paging, excludeIds, followedIds }),
        );
        // All of the caller's follows were read (fewer than the cap): whether it follows each result is known.
        const followed = followedIds.length < MAX_RELATIONS ? new Set(followedIds) : undefined;
        const held = await this.held(hits.ids);
        const shown = hits.ids.filter((id) => !held.has(id));
        return { items: await this.users(viewerId, shown, followed), nextCursor: cursorOf(hits) };
      }
      case "tags": {
        const hits = await this.timed("tags", () => this.deps.index.searchTags({ text: input.q, ...paging }));
        return {
          items: hits.items,
          nextCursor: hits.nextOffset === undefined ? null : String(hits.nextOffset),
        };
      }
      case "posts": {
        const [excludeAuthorIds, followedIds] = await this.relations(viewerId);
        const hits = await this.timed("posts", () =>
          this.deps.index.searchPosts({
            text: input.q,
            ...paging,
            order: input.order,
            excludeAuthorIds,
            // Public authors among them change nothing: the filter lets public posts through anyway.
            privateAuthorIds: [viewerId, ...followedIds],
          }),
        );
        const found = await this.deps.posts.entriesOf(hits.ids);
        const held = await this.held(found.map((entry) => entry.authorId));
        const entries = found.filter((entry) => !held.has(entry.authorId));
        return {
          items: await this.deps.posts.hydrateVisible(viewerId, entries),
          nextCursor: cursorOf(hits),
        };
      }
    }
  }

  private async held(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    return this.deps.standing ? this.deps.standing.held(userIds) : new Set();
  }

  private relations(viewerId: string): Promise<[string[], string[]]> {
    return Promise.all([
      this.deps.graph.blockedEitherWayIds(viewerId, MAX_RELATIONS),
      this.deps.graph.followingIds(viewerId, MAX_RELATIONS),
    ]);
  }

  /** The views, leaving out whoever blocks or is blocked by the viewer now (view reads the deciding rows). */
  private async users(
    viewerId: string,
    ids: readonly string[],
    followed: ReadonlySet<string> | undefined,
  ): Promise<UserView[]> {
    const views = await Promise.all(
      ids.map((id) => this.deps.accounts.view(viewerId, id, followed && { following: followed.has(id) })),
    );
    return views.filter((view): view is UserView => view !== undefined);
  }

  private async timed<T>(type: "users" | "tags" | "posts", query: () => Promise<T>): Promise<T> {
    const end = this.deps.metrics?.queries.startTimer({ type });
    try {
      return await query();
    } catch (err) {
      this.deps.metrics?.failures.inc({ operation: `query_${type}` });
      throw err;
    } finally {
      end?.();
    }
  }
}

function cursorOf(hits: SearchHits): string | null {
  return hits.nextOffset === undefined ? null : String(hits.nextOffset);
}
