import { KeptWhileUnchanged, setBounded } from "../concurrency/kept-while-unchanged";
import type { Graph, GraphRelationship } from "../graph";

/** How many of the caller's follows and blocks a query carries: the engines' terms filters stay small. */
export const MAX_RELATIONS = 5_000;
/** Searchers whose edges a node keeps. */
const MAX_SEARCHERS = 500;
/** Lists longer than this (follows and blocks together) are walked again for each search rather than kept. */
const MAX_KEPT_LIST_IDS = 500;
/** People found whose relationship to one searcher is kept; past it they start again. */
const MAX_FOUND = 1_000;
/** Bounds a change whose count could not be bumped (see KeptWhileUnchanged). */
const MAX_AGE_MS = 60_000;

/** The caller's lists a query carries: whom it may not see either way, and whom it follows. */
export interface SearcherLists {
  excludeIds: readonly string[];
  followedIds: readonly string[];
  /** `followedIds` as a set, when it holds every follow (under the cap). */
  followed: ReadonlySet<string> | undefined;
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
 * instead of walking two lists, and a person found again costs no relationship read. Memory stays bounded:
 * at most 500 searchers, lists of up to 500 ids, 1,000 people found each.
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
    const kept = learnt.lists;
    if (kept !== undefined) return new SearcherEdges(this.graph, learnt, await kept);
    const walked = this.lists(viewerId);
    learnt.lists = walked;
    try {
      const lists = await walked;
      if (lists.excludeIds.length + lists.followedIds.length > MAX_KEPT_LIST_IDS) learnt.lists = undefined;
      return new SearcherEdges(this.graph, learnt, lists);
    } catch (err) {
      learnt.lists = undefined;
      throw err;
    }
  }

  private async lists(viewerId: string): Promise<SearcherLists> {
    const [excludeIds, followedIds] = await Promise.all([
      this.graph.blockedEitherWayIds(viewerId, MAX_RELATIONS),
      this.graph.followingIds(viewerId, MAX_RELATIONS),
    ]);
    const followed = followedIds.length < MAX_RELATIONS ? new Set(followedIds) : undefined;
    return { excludeIds, followedIds, followed };
  }
}

/** One query's view of the caller's edges, and how the caller stands to the people it found. */
export class SearcherEdges {
  constructor(
    private readonly graph: Pick<Graph, "relationship">,
    private readonly learnt: Learnt,
    readonly lists: SearcherLists,
  ) {}

  /**
   * Read from the deciding rows, blocks included (the block list the query carried can miss a block a crash cut
   * short); only whether the caller follows them comes from the follow list, when it was read whole.
   */
  async relationship(viewerId: string, targetId: string): Promise<GraphRelationship> {
    const kept = this.learnt.found.get(targetId);
    if (kept !== undefined) return kept;
    const followed = this.lists.followed;
    const relationship = await this.graph.relationship(
      viewerId,
      targetId,
      followed && { following: followed.has(targetId) },
    );
    setBounded(this.learnt.found, targetId, relationship, MAX_FOUND);
    return relationship;
  }
}
