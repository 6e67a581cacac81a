import type { DiscoveryStanding } from "../accounts/discovery-standing";
import type { PostView, TagView, UserView } from "../contracts/objects";
import type { SearchMetrics } from "../metrics/search-metrics";
import type { Posts } from "../posts/posts";
import type { Page } from "../validation/page";
import type { SearchInput } from "./params";
import type { SearchHits, SearchIndex } from "./search-index";
import type { FoundPeople } from "./found-people";
import type { SearcherEdges, SearcherRelations } from "./searcher-relations";

export type SearchAnswer = Page<UserView> | Page<TagView> | Page<PostView>;

/**
 * `GET /api/search`: the caller's relations go into the query (blocks either way left out, private authors'
 * posts only where the caller follows them), so a page of N is N whenever N visible results exist; the ids the
 * engine answers are then hydrated from the store. The caller's edges are kept while their change count stays
 * the same (lib/search/searcher-relations.ts), so a block or a follow shows on the very next search.
 */
export class SearchQueries {
  constructor(
    private readonly deps: {
      index: SearchIndex;
      /** The caller's edges, kept while they stay the same. */
      relations: SearcherRelations;
      /** The public profiles of people found, kept a moment. */
      people: FoundPeople;
      posts: Posts;
      /**
       * Posts of accounts held for review after many reports: left out of search until a moderator decides (the
       * people found say it themselves, `people`).
       */
      standing?: Pick<DiscoveryStanding, "held">;
      metrics?: SearchMetrics;
    },
  ) {}

  async search(viewerId: string, input: SearchInput): Promise<SearchAnswer> {
    const paging = { limit: input.limit, offset: input.cursor ?? 0 };
    switch (input.type) {
      case "users": {
        const edges = await this.deps.relations.of(viewerId);
        const { excludeIds, followedIds } = edges.lists;
        const hits = await this.timed("users", () =>
          this.deps.index.searchUsers({ text: input.q, ...paging, excludeIds, followedIds }),
        );
        const views = await Promise.all(hits.ids.map((id) => this.person(viewerId, id, edges)));
        return {
          items: views.filter((view): view is UserView => view !== undefined),
          nextCursor: cursorOf(hits),
        };
      }
      case "tags": {
        const hits = await this.timed("tags", () => this.deps.index.searchTags({ text: input.q, ...paging }));
        return {
          items: hits.items,
          nextCursor: hits.nextOffset === undefined ? null : String(hits.nextOffset),
        };
      }
      case "posts": {
        const { excludeIds, followedIds } = (await this.deps.relations.of(viewerId)).lists;
        const hits = await this.timed("posts", () =>
          this.deps.index.searchPosts({
            text: input.q,
            ...paging,
            order: input.order,
            excludeAuthorIds: excludeIds,
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

  /** A suspension, deletion or hold for review of `userId`: their kept profile goes at once. */
  forget(userId: string): void {
    this.deps.people.forget(userId);
  }

  /** A person found as the caller sees them; undefined when hidden, held for review, or blocked either way. */
  private async person(
    viewerId: string,
    userId: string,
    edges: SearcherEdges,
  ): Promise<UserView | undefined> {
    const [profile, relationship] = await Promise.all([
      this.deps.people.of(userId),
      userId === viewerId ? undefined : edges.relationship(viewerId, userId),
    ]);
    if (profile === undefined || profile.held) return undefined;
    if (relationship === undefined) return profile.view;
    const { blockedBy, ...shown } = relationship;
    if (blockedBy || shown.blocking) return undefined;
    return { ...profile.view, relationship: shown };
  }

  private async held(userIds: readonly string[]): Promise<ReadonlySet<string>> {
    return this.deps.standing ? this.deps.standing.held(userIds) : new Set();
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
