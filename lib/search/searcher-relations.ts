import { KeptWhileUnchanged, setBounded } from "../concurrency/kept-while-unchanged";
import type { Graph, GraphRelationship } from "../graph";

/** How many of the caller's follows and blocks a query carries: the engines' terms filters stay small. */
export const MAX_RELATIONS = 5_000;
/** Searchers whose edges a node keeps. */
const MAX_SEARCHERS = 10_000;
/** People found whose relationship to one searcher is kept; past it they start again. */
const MAX_FOUND = 1_000;
/** Bounds a change whose count could not be bumped (see KeptWhileUnchanged). */
const MAX_AGE_MS = 60_000;

/** The caller's lists a query carries: whom it may not see either way, and whom it follows. */
export interface SearcherLists {
  excludeIds: readonly string[];
  followedIds: readonly string[];
}

interface Learnt {
  lists?: Promise<SearcherLists>;
  /** How the searcher stands to each person found. */
  found: Map<string, GraphRelationship>;
}

/**
 * What search reads of a caller's edges, kept by this node while the caller's change count (Graph.changesOf)
 * stays the same: every follow, unfollow, request, approval, block and unblock bumps it for both users before
 * it answers, so a query made after a block leaves the blocked out. A warm search then reads that one count
 * instead of walking two lists and reading five rows per person found.
 */
export class SearcherRelations {
  private readonly learnt: KeptWhileUnchanged<Learnt>;

  constructor(
    private readonly graph: Pick<
      Graph,
      "changesOf" | "blockedEitherWayIds" | "followingIds" | "relationship"
    >,
    now: () => number = Date.now,
  ) {
    this.learnt = new KeptWhileUnchanged(MAX_SEARCHERS, MAX_AGE_MS, () => ({ found: new Map() }), now);
  }

  /** The caller's edges as they stand now. */
  async of(viewerId: string): Promise<SearcherEdges> {
    const learnt = this.learnt.of(viewerId, await this.graph.changesOf(viewerId));
    learnt.lists ??= this.lists(viewerId).catch((err: unknown) => {
      learnt.lists = undefined;
      throw err;
    });
    return new SearcherEdges(this.graph, learnt, await learnt.lists);
  }

  private async lists(viewerId: string): Promise<SearcherLists> {
    const [excludeIds, followedIds] = await Promise.all([
      this.graph.blockedEitherWayIds(viewerId, MAX_RELATIONS),
      this.graph.followingIds(viewerId, MAX_RELATIONS),
    ]);
    return { excludeIds, followedIds };
  }
}

/** One query's view of the caller's edges, and how the caller stands to the people it found. */
export class SearcherEdges {
  private readonly followed: ReadonlySet<string> | undefined;
  /** The block list, when it was read whole: whoever is not on it is unblocked either way. */
  private readonly blocked: ReadonlySet<string> | undefined;

  constructor(
    private readonly graph: Pick<Graph, "relationship">,
    private readonly learnt: Learnt,
    readonly lists: SearcherLists,
  ) {
    this.followed = lists.followedIds.length < MAX_RELATIONS ? new Set(lists.followedIds) : undefined;
    this.blocked = lists.excludeIds.length < MAX_RELATIONS ? new Set(lists.excludeIds) : undefined;
  }

  async relationship(viewerId: string, targetId: string): Promise<GraphRelationship> {
    const kept = this.learnt.found.get(targetId);
    if (kept !== undefined) return kept;
    const following = this.followed?.has(targetId);
    const unblocked = this.blocked !== undefined && !this.blocked.has(targetId);
    const relationship = await this.graph.relationship(
      viewerId,
      targetId,
      following === undefined ? undefined : { following, ...(unblocked && { blockedEitherWay: false }) },
    );
    setBounded(this.learnt.found, targetId, relationship, MAX_FOUND);
    return relationship;
  }
}
