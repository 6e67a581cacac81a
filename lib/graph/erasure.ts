import type { WideRowStore } from "../store/store";
import type { Graph } from "./graph";
import {
  blockLists,
  closeFriendOf,
  closeFriends,
  followersByTime,
  followersList,
  followingByTime,
  followingList,
  followRequestsByTime,
  followRequestsList,
  graphChanges,
  mutedBy,
  mutes,
  requestsSentList,
} from "./tables";

/** Edges one call removes at most, of each kind. */
const PAGE = 100;

/**
 * An account's erasure from the graph: its follows both ways, its requests both ways, its blocks both ways, the
 * close-friends lists and mutes it keeps and those it is on, each removed by the graph's own operations (so
 * counts and the readers' relations follow), then its lists. Every list is consumed from its head: a call cut
 * short is simply called again.
 */
export class GraphErasure {
  constructor(
    private readonly store: WideRowStore,
    private readonly graph: Pick<Graph, "unfollow" | "unblock" | "closeFriends" | "mutes">,
  ) {}

  /** One bounded call; true once nothing of the account is left in the graph. */
  async erase(userId: string): Promise<boolean> {
    const { store, graph } = this;
    const [followed, followers, requests, sent, blocked, friends, friendOf, muted, mutedByRows] =
      await Promise.all([
        followingList.walk(store, userId, { limit: PAGE }),
        followersList.walk(store, userId, { limit: PAGE }),
        followRequestsList.walk(store, userId, { limit: PAGE }),
        store.slice(requestsSentList, { user_id: userId }, { limit: PAGE }),
        store.slice(blockLists, { user_id: userId }, { limit: PAGE }),
        store.slice(closeFriends, { user_id: userId }, { limit: PAGE }),
        store.slice(closeFriendOf, { user_id: userId }, { limit: PAGE }),
        store.slice(mutes, { user_id: userId }, { limit: PAGE }),
        store.slice(mutedBy, { user_id: userId }, { limit: PAGE }),
      ]);
    // Each list row goes with its edge, and on its own too: a row whose edge a crash already removed would
    // otherwise come back at the head of every call.
    const work = [
      ...followed.rows.map((row) => async () => {
        await graph.unfollow(userId, row.followee_id);
        await store.delete(followingByTime, {
          ...followingList.partitionOf(userId, row.edge_id),
          edge_id: row.edge_id,
          followee_id: row.followee_id,
        });
      }),
      ...followers.rows.map((row) => async () => {
        await graph.unfollow(row.follower_id, userId);
        await store.delete(followersByTime, {
          ...followersList.partitionOf(userId, row.edge_id),
          edge_id: row.edge_id,
          follower_id: row.follower_id,
        });
      }),
      ...requests.rows.map((row) => async () => {
        await graph.unfollow(row.requester_id, userId);
        await store.delete(followRequestsByTime, {
          ...followRequestsList.partitionOf(userId, row.edge_id),
          edge_id: row.edge_id,
          requester_id: row.requester_id,
        });
      }),
      ...sent.rows.map((row) => async () => {
        await graph.unfollow(userId, row.target_id);
        await store.delete(requestsSentList, { user_id: userId, target_id: row.target_id });
      }),
      ...blocked.rows.map((row) => async () => {
        await (row.direction === "blocks"
          ? graph.unblock(userId, row.other_id)
          : graph.unblock(row.other_id, userId));
        await store.delete(blockLists, { user_id: userId, other_id: row.other_id });
      }),
      ...friends.rows.map((row) => () => graph.closeFriends.remove(userId, row.friend_id)),
      ...friendOf.rows.map((row) => async () => {
        await graph.closeFriends.remove(row.owner_id, userId);
        await store.delete(closeFriendOf, { user_id: userId, owner_id: row.owner_id });
      }),
      ...muted.rows.map((row) => () => graph.mutes.unmute(userId, row.muted_id)),
      ...mutedByRows.rows.map((row) => async () => {
        await graph.mutes.unmute(row.muter_id, userId);
        await store.delete(mutedBy, { user_id: userId, muter_id: row.muter_id });
      }),
    ];
    for (const task of work) await task();
    if (work.length > 0) return false;
    await Promise.all([
      followingList.erase(store, userId),
      followersList.erase(store, userId),
      followRequestsList.erase(store, userId),
      store.deletePartition(requestsSentList, { user_id: userId }),
      store.deletePartition(closeFriendOf, { user_id: userId }),
      store.deletePartition(mutedBy, { user_id: userId }),
    ]);
    // Last: each operation above counted a change of the account's edges.
    await store.delete(graphChanges, { user_id: userId });
    return true;
  }
}
