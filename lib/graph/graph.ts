import type { Relationship } from "../accounts/user-view";
import { CloseFriends } from "./close-friends";
import { GraphErasure } from "./erasure";
import { backfillGraphIndexes } from "./index-backfill";
import { Mutes } from "./mutes";
import { userCounts } from "../accounts/tables";
import { BadRequestError, NotFoundError } from "../errors";
import type { AnyTable, Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { KeyedLock } from "../concurrency/keyed-lock";
import type { WriteJournal } from "../journal/write-journal";
import type { BucketedList, Position } from "../validation/bucketed-list";
import {
  blockLists,
  blockedBy,
  blocks,
  graphChanges,
  followRequests,
  followRequestsByTime,
  followRequestsList,
  followers,
  followersByTime,
  followersList,
  following,
  followingByTime,
  followingList,
  requestsSent,
  requestsSentList,
} from "./tables";

export interface IdSource {
  next(): Promise<string>;
}

export interface GraphDeps {
  store: WideRowStore;
  ids: IdSource;
  now?: () => number;
  /**
   * Records each edge's writes, so that one cut short by a crash is completed (see completeEdge). Nodes always
   * have one; a tool that seeds edges without it leaves a crash to `reconcileCounts`.
   */
  journal?: WriteJournal;
  /**
   * Hears that the edges between two users changed (after the change, never failing it): search ranks people by
   * their follower counts.
   */
  edgesChanged?: (a: string, b: string) => void;
}

export type FollowState = "following" | "requested" | "none";

/** A page of a list: at most `limit` (1..100) ids after `cursor`, the `nextCursor` of the previous page. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface IdPage {
  ids: string[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/** What the viewer sees of another account, plus whether that account blocks the viewer (never shown to them). */
export interface GraphRelationship extends Relationship {
  blockedBy: boolean;
}

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_FAN_OUT_PAGE = 500;
/** List rows a recount reads per step: each costs a point read of its deciding row, all of a step at once. */
const RECOUNT_PAGE = 250;

/**
 * Follows, follow requests to private accounts, and blocks, between user ids.
 *
 * Every edge is a handful of rows in different partitions, and the store cannot write them atomically. So the
 * writes go in an order that fails safe, toward less access and never toward a count without an edge:
 *
 * - A follow inserts its deciding row (`following`, with insert-if-absent, which also decides whether the edge is
 *   new and so whether to count it), then the mirror (`followers`), then the two list rows, then the counters. A
 *   crash leaves at worst an edge that is not counted or not listed; following again rewrites the missing rows
 *   (without counting again).
 * - An unfollow deletes the deciding row first, so access ends at once, then the mirror, the list rows, and last
 *   the counters. A crash between the lookup deletes and the decrement leaves one count too many with no row left
 *   to tell; that is the price of ending access first, and `reconcileCounts` recounts a user from the rows.
 * - Requests follow the same pattern with `follow_requests` as the deciding row.
 * - A block writes its deciding row (`blocks`) before it removes anything, so no new edge can form while the old
 *   ones are being removed; an unblock deletes it last, so a crash leaves the block in force.
 *
 * Counters are not idempotent, so a pair's writes must not interleave. The service layer routes every write of
 * one follower through one owner node, and within this process every operation on a pair of users holds a lock
 * on that (unordered) pair: follow, unfollow, approve, reject, block and unblock of the same two users run one at
 * a time, so concurrent duplicates count once and a follow cannot slip in between a block and its clean-up.
 */
export class Graph {
  private readonly store: WideRowStore;
  private readonly ids: IdSource;
  private readonly now: () => number;
  private readonly locks = new KeyedLock();
  private readonly journal: WriteJournal | undefined;

  private readonly edgesChanged: GraphDeps["edgesChanged"];
  /** Each user's close friends: a list beside the graph's edges, not an edge (lib/graph/close-friends.ts). */
  readonly closeFriends: CloseFriends;
  /** Each user's mutes: beside the edges, read with them by the feed (lib/graph/mutes.ts). */
  readonly mutes: Mutes;
  /** What an account's erasure removes here (lib/erasure). */
  readonly erasure: GraphErasure;

  constructor(deps: GraphDeps) {
    this.store = deps.store;
    this.ids = deps.ids;
    this.now = deps.now ?? Date.now;
    this.closeFriends = new CloseFriends(deps.store, this.now);
    this.mutes = new Mutes(
      deps.store,
      async (userId) => {
        await this.store.increment(graphChanges, { user_id: userId }, { changes: 1 });
      },
      this.now,
    );
    this.journal = deps.journal;
    this.edgesChanged = deps.edgesChanged;
    this.erasure = new GraphErasure(deps.store, this);
    deps.journal?.register("follow", (op) => this.completeEdge(op.followerId, op.followeeId, op.edgeIds));
  }

  /**
   * Completes a follow or unfollow cut short: the mirror and list rows as the deciding row now says (an edge
   * rewritten whole, or every trace of it gone), then both users' counts from their lists.
   */
  async completeEdge(followerId: string, followeeId: string, edgeIds: readonly string[]): Promise<void> {
    await this.locked(followerId, followeeId, async () => {
      const edge = await this.store.get(following, { user_id: followerId, followee_id: followeeId });
      if (edge !== undefined) return this.writeFollow(followerId, followeeId);
      await this.store.delete(followers, { user_id: followeeId, follower_id: followerId });
      await this.deleteListRows(followerId, followeeId, edgeIds);
    });
    await Promise.all([this.reconcileCounts(followerId), this.reconcileCounts(followeeId)]);
  }

  /** Runs an edge's writes recorded in the journal when there is one. */
  private edgeWrites<T>(
    followerId: string,
    followeeId: string,
    edgeIds: readonly string[],
    task: () => Promise<T>,
  ): Promise<T> {
    return this.journal
      ? this.journal.run("follow", { followerId, followeeId, edgeIds: [...edgeIds] }, task)
      : task();
  }

  /** Follows a public account at once, or asks a private one; following again answers the same state. */
  async follow(
    followerId: string,
    target: { id: string; isPrivate: boolean },
  ): Promise<{ state: FollowState }> {
    if (followerId === target.id)
      throw new BadRequestError("CANNOT_FOLLOW_SELF", "you cannot follow yourself");
    return this.locked(followerId, target.id, async () => {
      const [blocking, blocked, edge, request] = await Promise.all([
        this.store.get(blocks, { user_id: followerId, blocked_id: target.id }),
        this.store.get(blocks, { user_id: target.id, blocked_id: followerId }),
        this.store.get(following, { user_id: followerId, followee_id: target.id }),
        this.store.get(followRequests, { user_id: target.id, requester_id: followerId }),
      ]);
      if (blocking !== undefined || blocked !== undefined) throw userNotFound();
      // An approved follower of an account that went private stays a follower.
      if (edge !== undefined || !target.isPrivate) {
        await this.addFollow(followerId, target.id);
        // A request left pending when the account went public (or by an approval cut short) is moot now.
        if (request !== undefined) await this.removeRequest(followerId, target.id);
        return { state: "following" };
      }
      await this.addRequest(followerId, target.id);
      return { state: "requested" };
    });
  }

  /** Stops following, and withdraws a pending request; unfollowing a stranger is a no-op. */
  async unfollow(followerId: string, targetId: string): Promise<{ state: FollowState }> {
    if (followerId === targetId) return { state: "none" };
    await this.locked(followerId, targetId, async () => {
      await this.removeFollow(followerId, targetId);
      await this.removeRequest(followerId, targetId);
    });
    return { state: "none" };
  }

  /** The pending requests to follow `userId`, newest first. */
  async listRequests(userId: string, page: PageRequest): Promise<IdPage> {
    const slice = await followRequestsList.page(this.store, userId, checked(page));
    return { ids: slice.rows.map((row) => row.requester_id), nextCursor: slice.nextCursor };
  }

  /** Turns a pending request into a follow. */
  async approve(userId: string, requesterId: string): Promise<{ state: FollowState }> {
    return this.locked(userId, requesterId, async () => {
      const [request, blocking, blocked] = await Promise.all([
        this.store.get(followRequests, { user_id: userId, requester_id: requesterId }),
        this.store.get(blocks, { user_id: userId, blocked_id: requesterId }),
        this.store.get(blocks, { user_id: requesterId, blocked_id: userId }),
      ]);
      if (request === undefined) throw requestNotFound();
      if (blocking !== undefined || blocked !== undefined) {
        // A block cut short left the request behind; finish its job.
        await this.removeRequest(requesterId, userId);
        throw requestNotFound();
      }
      // The follow first: a crash in between leaves a follower with a stale request, which following again
      // or approving again clears, rather than a dropped request.
      await this.addFollow(requesterId, userId);
      await this.removeRequest(requesterId, userId);
      return { state: "following" };
    });
  }

  /**
   * Declines a pending request; 404 when there is none, as approving one is: unlike unfollow and unblock, which
   * undo the caller's own act and so may be repeated, this answers someone else's request, which must be there.
   */
  async reject(userId: string, requesterId: string): Promise<void> {
    if (userId === requesterId) throw requestNotFound();
    await this.locked(userId, requesterId, async () => {
      const request = await this.store.get(followRequests, { user_id: userId, requester_id: requesterId });
      if (request === undefined) throw requestNotFound();
      await this.removeRequest(requesterId, userId);
    });
  }

  /** Blocks: ends follows and requests both ways and hides each from the other. */
  async block(blockerId: string, blockedId: string): Promise<void> {
    if (blockerId === blockedId) throw new BadRequestError("CANNOT_BLOCK_SELF", "you cannot block yourself");
    await this.locked(blockerId, blockedId, async () => {
      const since = new Date(this.now());
      // The deciding row first: from here on no follow or approval between the two can succeed.
      await this.store.put(blocks, { user_id: blockerId, blocked_id: blockedId, since });
      await this.store.put(blockedBy, { user_id: blockedId, blocker_id: blockerId, since });
      await this.store.put(blockLists, { user_id: blockerId, other_id: blockedId, direction: "blocks" });
      await this.store.put(blockLists, { user_id: blockedId, other_id: blockerId, direction: "blocked_by" });
      await Promise.all([
        this.removeFollow(blockerId, blockedId),
        this.removeFollow(blockedId, blockerId),
        this.removeRequest(blockerId, blockedId),
        this.removeRequest(blockedId, blockerId),
        // Nor is either left on the other's close-friends list, which an unblock would quietly reopen.
        this.closeFriends.remove(blockerId, blockedId),
        this.closeFriends.remove(blockedId, blockerId),
      ]);
    });
  }

  /** Lifts a block; follows it ended stay ended. */
  async unblock(blockerId: string, blockedId: string): Promise<void> {
    if (blockerId === blockedId) return;
    await this.locked(blockerId, blockedId, async () => {
      // The mirror first, the deciding row last: a crash in between leaves the block in force.
      await this.store.delete(blockLists, { user_id: blockerId, other_id: blockedId });
      await this.store.delete(blockLists, { user_id: blockedId, other_id: blockerId });
      await this.store.delete(blockedBy, { user_id: blockedId, blocker_id: blockerId });
      await this.store.delete(blocks, { user_id: blockerId, blocked_id: blockedId });
    });
  }

  /**
   * How `viewerId` relates to `targetId`, in one round of parallel reads of the deciding rows; `known.following`
   * spares the first of them. Blocks are always read from their deciding rows: the block list can miss a block
   * that a crash cut short (see `blockLists`).
   */
  async relationship(
    viewerId: string,
    targetId: string,
    known?: { following: boolean },
  ): Promise<GraphRelationship> {
    if (viewerId === targetId) {
      return { following: false, followedBy: false, requested: false, blocking: false, blockedBy: false };
    }
    const [out, back, request, blocking, blocked] = await Promise.all([
      known === undefined
        ? this.store.get(following, { user_id: viewerId, followee_id: targetId })
        : known.following || undefined,
      this.store.get(following, { user_id: targetId, followee_id: viewerId }),
      this.store.get(followRequests, { user_id: targetId, requester_id: viewerId }),
      this.store.get(blocks, { user_id: viewerId, blocked_id: targetId }),
      this.store.get(blocks, { user_id: targetId, blocked_id: viewerId }),
    ]);
    return {
      following: out !== undefined,
      followedBy: back !== undefined,
      requested: request !== undefined,
      blocking: blocking !== undefined,
      blockedBy: blocked !== undefined,
    };
  }

  /** True when either user blocks the other: each is then hidden from the other (404). */
  async isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    if (a === b) return false;
    const [ab, ba] = await Promise.all([
      this.store.get(blocks, { user_id: a, blocked_id: b }),
      this.store.get(blocks, { user_id: b, blocked_id: a }),
    ]);
    return ab !== undefined || ba !== undefined;
  }

  async isFollowing(followerId: string, targetId: string): Promise<boolean> {
    return (await this.store.get(following, { user_id: followerId, followee_id: targetId })) !== undefined;
  }

  /** Whether `viewerId` may see what the private account `ownerId` shares: the owner and approved followers. */
  async canSeePrivate(viewerId: string, ownerId: string): Promise<boolean> {
    return viewerId === ownerId || this.isFollowing(viewerId, ownerId);
  }

  /**
   * Everyone `userId` blocks or is blocked by, at most `max` of them (see `blockLists`: a block a crash cut short
   * may be missing, so a reader checks each result again).
   */
  async blockedEitherWayIds(userId: string, max: number): Promise<string[]> {
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.store.slice(
        blockLists,
        { user_id: userId },
        { limit: Math.min(1_000, max - ids.length), ...(pageToken !== undefined && { pageToken }) },
      );
      ids.push(...page.rows.map((row) => row.other_id));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && ids.length < max);
    return ids;
  }

  /** Whom `userId` follows, newest first, at most `max` of them. */
  async followingIds(userId: string, max: number): Promise<string[]> {
    const ids: string[] = [];
    let after: Position | undefined;
    while (ids.length < max) {
      const { rows, more } = await followingList.walk(this.store, userId, {
        after,
        limit: Math.min(RECOUNT_PAGE, max - ids.length),
      });
      ids.push(...rows.map((row) => row.followee_id));
      const last = rows[rows.length - 1];
      if (!more || last === undefined) break;
      after = followingList.shape.position(last);
    }
    return ids;
  }

  /** Who follows `userId`, newest first. */
  async followers(userId: string, page: PageRequest): Promise<IdPage> {
    const slice = await followersList.page(this.store, userId, checked(page));
    return { ids: slice.rows.map((row) => row.follower_id), nextCursor: slice.nextCursor };
  }

  /** Whom `userId` follows, newest first. */
  async following(userId: string, page: PageRequest): Promise<IdPage> {
    const slice = await followingList.page(this.store, userId, checked(page));
    return { ids: slice.rows.map((row) => row.followee_id), nextCursor: slice.nextCursor };
  }

  /**
   * Every follower of `userId`, newest first, a page at a time: for fan-out. Pass the `nextPageToken` of one page
   * to get the next; null means that was the last. The token is the followers list's cursor, so a fan-out walks
   * bounded monthly partitions and resumes after a position: followers who arrive meanwhile sort before it and
   * are not reached (their follow backfills the post instead), and none is repeated or skipped. A follower whose
   * list row a crashed unfollow left behind is still named; the feed drops what it no longer may show.
   */
  async followerIdsPage(
    userId: string,
    pageToken?: string,
    limit = DEFAULT_FAN_OUT_PAGE,
  ): Promise<{ ids: string[]; nextPageToken: string | null }> {
    const page = await followersList.page(this.store, userId, {
      limit,
      ...(pageToken !== undefined && { cursor: pageToken }),
    });
    return { ids: page.rows.map((row) => row.follower_id), nextPageToken: page.nextCursor };
  }

  /**
   * Sets `userId`'s follower and following counters to the number of edges, repairing a count left off by a
   * crash. It walks the user's whole lists with a point read per row, so it is a repair tool, to run while the
   * user's writes are quiet.
   */
  async reconcileCounts(userId: string): Promise<{ followers: number; following: number }> {
    const [followerCount, followingCount, counts] = await Promise.all([
      this.countEdges(followersList, userId, (row) => ({
        follower: row.follower_id,
        followee: userId,
        edgeId: row.edge_id,
      })),
      this.countEdges(followingList, userId, (row) => ({
        follower: userId,
        followee: row.followee_id,
        edgeId: row.edge_id,
      })),
      this.store.get(userCounts, { user_id: userId }),
    ]);
    const followersDelta = followerCount - (counts?.followers ?? 0);
    const followingDelta = followingCount - (counts?.following ?? 0);
    if (followersDelta !== 0 || followingDelta !== 0) {
      await this.store.increment(
        userCounts,
        { user_id: userId },
        {
          followers: followersDelta,
          following: followingDelta,
        },
      );
    }
    return { followers: followerCount, following: followingCount };
  }

  // ---- edges; every caller holds the pair's lock ----

  /** Writes the follow's rows (repairing any a crash left out) and counts it if it is new. */
  private addFollow(followerId: string, targetId: string): Promise<void> {
    return this.edgeWrites(followerId, targetId, [], () => this.writeFollow(followerId, targetId));
  }

  private async writeFollow(followerId: string, targetId: string): Promise<void> {
    const edge = { since: new Date(this.now()), edge_id: await this.ids.next() };
    const inserted = await this.store.insertIfAbsent(following, {
      user_id: followerId,
      followee_id: targetId,
      ...edge,
    });
    const { since, edge_id } = inserted.applied ? edge : existingEdge(inserted.existing, edge);
    await this.store.put(followers, { user_id: targetId, follower_id: followerId, since, edge_id });
    await Promise.all([
      followingList
        .writePartition(this.store, followerId, edge_id)
        .then((partition) =>
          this.store.put(followingByTime, { ...partition, edge_id, followee_id: targetId }),
        ),
      followersList
        .writePartition(this.store, targetId, edge_id)
        .then((partition) =>
          this.store.put(followersByTime, { ...partition, edge_id, follower_id: followerId }),
        ),
    ]);
    if (!inserted.applied) return;
    // Last, so a crash never leaves a count without the edge it counts.
    await Promise.all([
      this.store.increment(userCounts, { user_id: followerId }, { following: 1 }),
      this.store.increment(userCounts, { user_id: targetId }, { followers: 1 }),
    ]);
  }

  /** Deletes the follow's rows, deciding row first, and uncounts it if the deciding row was there. */
  private async removeFollow(followerId: string, targetId: string): Promise<void> {
    const [out, mirror] = await Promise.all([
      this.store.get(following, { user_id: followerId, followee_id: targetId }),
      this.store.get(followers, { user_id: targetId, follower_id: followerId }),
    ]);
    if (out === undefined && mirror === undefined) return;
    // Each half may name its own edge id if it was written by a follow that crashed and was retried.
    const edgeIds = [
      ...new Set([out?.edge_id, mirror?.edge_id].filter((id): id is string => id !== undefined)),
    ];
    await this.edgeWrites(followerId, targetId, edgeIds, async () => {
      // Conditional, like the insert that made it: only the removal that took the row uncounts it.
      const uncount =
        out !== undefined &&
        (await this.store.deleteIf(following, { user_id: followerId, followee_id: targetId }));
      if (mirror !== undefined)
        await this.store.delete(followers, { user_id: targetId, follower_id: followerId });
      await this.deleteListRows(followerId, targetId, edgeIds);
      // Only the deciding row tells that the edge was counted: a mirror alone is a follow or unfollow cut short.
      if (!uncount) return;
      await Promise.all([
        this.store.increment(userCounts, { user_id: followerId }, { following: -1 }),
        this.store.increment(userCounts, { user_id: targetId }, { followers: -1 }),
      ]);
    });
  }

  private async deleteListRows(
    followerId: string,
    targetId: string,
    edgeIds: readonly string[],
  ): Promise<void> {
    await Promise.all(
      edgeIds.flatMap((edgeId) => [
        this.store.delete(followingByTime, {
          ...followingList.partitionOf(followerId, edgeId),
          edge_id: edgeId,
          followee_id: targetId,
        }),
        this.store.delete(followersByTime, {
          ...followersList.partitionOf(targetId, edgeId),
          edge_id: edgeId,
          follower_id: followerId,
        }),
      ]),
    );
  }

  private async addRequest(requesterId: string, targetId: string): Promise<void> {
    const fresh = { since: new Date(this.now()), edge_id: await this.ids.next() };
    const inserted = await this.store.insertIfAbsent(followRequests, {
      user_id: targetId,
      requester_id: requesterId,
      ...fresh,
    });
    const { since, edge_id } = inserted.applied ? fresh : existingEdge(inserted.existing, fresh);
    await Promise.all([
      followRequestsList
        .writePartition(this.store, targetId, edge_id)
        .then((partition) =>
          this.store.put(followRequestsByTime, { ...partition, edge_id, requester_id: requesterId }),
        ),
      this.store.put(requestsSent, { user_id: requesterId, target_id: targetId, since, edge_id }),
      this.store.put(requestsSentList, { user_id: requesterId, target_id: targetId }),
    ]);
  }

  private async removeRequest(requesterId: string, targetId: string): Promise<void> {
    const [request, sent] = await Promise.all([
      this.store.get(followRequests, { user_id: targetId, requester_id: requesterId }),
      this.store.get(requestsSent, { user_id: requesterId, target_id: targetId }),
    ]);
    if (request === undefined && sent === undefined) {
      await this.store.delete(requestsSentList, { user_id: requesterId, target_id: targetId });
      return;
    }
    if (request !== undefined) {
      await this.store.deleteIf(followRequests, { user_id: targetId, requester_id: requesterId });
    }
    const edgeIds = new Set([request?.edge_id, sent?.edge_id].filter((id): id is string => id !== undefined));
    await Promise.all(
      [...edgeIds].map((edgeId) =>
        this.store.delete(followRequestsByTime, {
          ...followRequestsList.partitionOf(targetId, edgeId),
          edge_id: edgeId,
          requester_id: requesterId,
        }),
      ),
    );
    if (sent !== undefined)
      await this.store.delete(requestsSent, { user_id: requesterId, target_id: targetId });
    await this.store.delete(requestsSentList, { user_id: requesterId, target_id: targetId });
  }

  // ---- plumbing ----

  /**
   * Runs a change of the edges between two users one at a time per pair, then bumps both users' change counts
   * (graphChanges), whether it went through or not: a change cut short may have written part of its rows.
   */
  private async locked<T>(a: string, b: string, task: () => Promise<T>): Promise<T> {
    try {
      return await this.locks.run(a < b ? `${a}:${b}` : `${b}:${a}`, task);
    } finally {
      await Promise.all(
        [a, b].map((user_id) => this.store.increment(graphChanges, { user_id }, { changes: 1 })),
      );
      this.edgesChanged?.(a, b);
    }
  }

  /** An operator's repair: the reverse lists an erasure walks, for rows made before them (a full scan). */
  backfillIndexes(): Promise<number> {
    return backfillGraphIndexes(this.store);
  }

  /**
   * A number that differs after every change of the user's edges: what a reader learnt of them while it read the
   * same number still holds (see graphChanges).
   */
  async changesOf(userId: string): Promise<number> {
    return (await this.store.get(graphChanges, { user_id: userId }))?.changes ?? 0;
  }

  /**
   * The edges a list names that are edges now. A list row counts only when the deciding row of its pair is there
   * with the same edge id: an unfollow cut short after its deciding row leaves list rows behind (the very crash
   * a recount repairs), and a follow after it lists the pair a second time under a new edge id.
   */
  private async countEdges<T extends AnyTable>(
    list: BucketedList<T>,
    owner: string,
    edgeOf: (row: Row<T>) => { follower: string; followee: string; edgeId: string },
  ): Promise<number> {
    let count = 0;
    let after: Position | undefined;
    for (;;) {
      const { rows, more } = await list.walk(this.store, owner, { after, limit: RECOUNT_PAGE });
      const live = await Promise.all(
        rows.map(async (row) => {
          const { follower, followee, edgeId } = edgeOf(row);
          const deciding = await this.store.get(following, { user_id: follower, followee_id: followee });
          return deciding?.edge_id === edgeId;
        }),
      );
      count += live.filter(Boolean).length;
      const last = rows[rows.length - 1];
      if (!more || last === undefined) return count;
      after = list.shape.position(last);
    }
  }
}

function checked(page: PageRequest): PageRequest {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE_LIMIT) {
    throw new BadRequestError("INVALID_LIMIT", `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`, {
      field: "limit",
    });
  }
  return page;
}

/** The edge a lookup row recorded, falling back to the fresh one for a row written without it. */
function existingEdge(
  row: { since?: Date; edge_id?: string },
  fresh: { since: Date; edge_id: string },
): { since: Date; edge_id: string } {
  return { since: row.since ?? fresh.since, edge_id: row.edge_id ?? fresh.edge_id };
}

function userNotFound(): NotFoundError {
  return new NotFoundError("USER_NOT_FOUND", "no such user");
}

function requestNotFound(): NotFoundError {
  return new NotFoundError("REQUEST_NOT_FOUND", "there is no pending request from this user");
}
