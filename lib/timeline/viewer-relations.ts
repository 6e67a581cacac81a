import { KeptWhileUnchanged, setBounded } from "../concurrency/kept-while-unchanged";
import type { Graph } from "../graph";

/** Readers whose relations a node keeps; the timeline actors it owns, as many as `Timelines` keeps. */
const MAX_VIEWERS = 20_000;
/** Authors one reader's relations hold; past it they start again, so a reader who follows thousands stays bounded. */
const MAX_AUTHORS = 2_000;
/**
 * How long relations are kept without a change. Every read checks the reader's change count, so this only bounds
 * the damage of a change whose count could not be bumped (the store failed between its writes and the bump).
 */
const MAX_AGE_MS = 60_000;

/** The celebrities a reader follows, among a given list of celebrities. */
export interface FollowedCelebrities {
  ids: string[];
  /** Each checked against the deciding row of the edge (a list row can outlive an unfollow for a moment). */
  checked: boolean;
}

interface Learnt {
  /** Whether the reader may see an author's posts in their feed: follows them, and no block either way. */
  mayRead: Map<string, boolean>;
  /** Whether an author follows the reader. */
  followedBy: Map<string, boolean>;
  celebrities?: { of: readonly string[]; followed: FollowedCelebrities };
  /** Whom the reader mutes, each until when (ms; undefined: until undone). A mute bumps the change count. */
  muted?: ReadonlyMap<string, number | undefined>;
}

/**
 * What the feed reads of a reader's edges, kept by the node that owns the reader's timeline (their feed reads
 * all come here) for as long as the reader's change count (Graph.changesOf) stays the same. A warm page then
 * costs one read of that count instead of two or three point reads per author, and an unfollow or a block still
 * shows on the very next read: the change bumps the count before it answers.
 */
export class ViewerRelations {
  private readonly learnt: KeptWhileUnchanged<Learnt>;

  constructor(
    private readonly graph: Pick<Graph, "changesOf">,
    now: () => number = Date.now,
  ) {
    this.learnt = new KeptWhileUnchanged(
      MAX_VIEWERS,
      MAX_AGE_MS,
      () => ({ mayRead: new Map(), followedBy: new Map() }),
      now,
    );
  }

  /** The reader's relations as they stand: what was learnt under their current change count, or nothing. */
  async of(viewerId: string): Promise<Relations> {
    return new Relations(this.learnt.of(viewerId, await this.graph.changesOf(viewerId)));
  }

  /** Ownership of readers moved: drop what this node kept (it would be checked anyway; this frees memory). */
  forgetAll(): void {
    this.learnt.clear();
  }

  get size(): number {
    return this.learnt.size;
  }
}

/** One read's view of a reader's relations: answers kept from earlier reads, or asked and kept. */
export class Relations {
  constructor(private readonly learnt: Learnt) {}

  /** Kept answers come back as they are, not in a promise: a warm page asks about every author on it. */
  mayRead(authorId: string, ask: () => Promise<boolean>): boolean | Promise<boolean> {
    return remembered(this.learnt.mayRead, authorId, ask);
  }

  followedBy(authorId: string, ask: () => Promise<boolean>): boolean | Promise<boolean> {
    return remembered(this.learnt.followedBy, authorId, ask);
  }

  async muted(
    ask: () => Promise<ReadonlyMap<string, number | undefined>>,
  ): Promise<ReadonlyMap<string, number | undefined>> {
    this.learnt.muted ??= await ask();
    return this.learnt.muted;
  }

  async followedCelebrities(
    celebrities: readonly string[],
    ask: () => Promise<FollowedCelebrities>,
  ): Promise<FollowedCelebrities> {
    const kept = this.learnt.celebrities;
    if (kept !== undefined && kept.of === celebrities) return kept.followed;
    const followed = await ask();
    this.learnt.celebrities = { of: celebrities, followed };
    return followed;
  }
}

function remembered(
  map: Map<string, boolean>,
  key: string,
  ask: () => Promise<boolean>,
): boolean | Promise<boolean> {
  const kept = map.get(key);
  if (kept !== undefined) return kept;
  return ask().then((answer) => {
    setBounded(map, key, answer, MAX_AUTHORS);
    return answer;
  });
}
