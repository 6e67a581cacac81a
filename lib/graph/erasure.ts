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

/** Rows one call removes at most. */
const PAGE = 100;

/** A page of one of the account's lists: what to undo for each row, and where the next page starts. */
interface PhasePage {
  tasks: (() => Promise<unknown>)[];
  last: string | undefined;
  more: boolean;
}

type Phase = (userId: string, after: string | undefined) => Promise<PhasePage>;

/**
 * An account's erasure from the graph: its follows both ways, its requests both ways, its blocks both ways, the
 * close-friends lists and mutes it keeps and those it is on, each undone by the graph's own operations (so counts
 * and readers' relations follow), then its lists. One list at a time, a page a call, each from the position the
 * last call reached (the cursor `phase:position`): on Cassandra the head of a list being deleted is tombstones.
 * Each list row also goes on its own, since a row whose edge a crash already removed is not the operation's.
 */
export class GraphErasure {
  private readonly phases: readonly [string, Phase][];

  constructor(
    private readonly store: WideRowStore,
    graph: Pick<Graph, "unfollow" | "unblock" | "closeFriends" | "mutes">,
  ) {
    const after = (position: string | undefined) =>
      position === undefined ? {} : { after: [position] as const };
    const gt = <K extends string>(column: K, position: string | undefined) =>
      position === undefined ? {} : { gt: { [column]: position } as Record<K, string> };
    const sliced = <R>(rows: R[], last: (row: R) => string) => ({
      last: rows.length > 0 ? last(rows[rows.length - 1] as R) : undefined,
      more: rows.length === PAGE,
    });
    this.phases = [
      [
        "following",
        async (userId, at) => {
          const page = await followingList.walk(store, userId, { limit: PAGE, ...after(at) });
          return {
            tasks: page.rows.map((row) => async () => {
              await graph.unfollow(userId, row.followee_id);
              await store.delete(followingByTime, {
                ...followingList.partitionOf(userId, row.edge_id),
                edge_id: row.edge_id,
                followee_id: row.followee_id,
              });
            }),
            last: page.rows.at(-1)?.edge_id,
            more: page.more,
          };
        },
      ],
      [
        "followers",
        async (userId, at) => {
          const page = await followersList.walk(store, userId, { limit: PAGE, ...after(at) });
          return {
            tasks: page.rows.map((row) => async () => {
              await graph.unfollow(row.follower_id, userId);
              await store.delete(followersByTime, {
                ...followersList.partitionOf(userId, row.edge_id),
                edge_id: row.edge_id,
                follower_id: row.follower_id,
              });
            }),
            last: page.rows.at(-1)?.edge_id,
            more: page.more,
          };
        },
      ],
      [
        "requests",
        async (userId, at) => {
          const page = await followRequestsList.walk(store, userId, { limit: PAGE, ...after(at) });
          return {
            tasks: page.rows.map((row) => async () => {
              await graph.unfollow(row.requester_id, userId);
              await store.delete(followRequestsByTime, {
                ...followRequestsList.partitionOf(userId, row.edge_id),
                edge_id: row.edge_id,
                requester_id: row.requester_id,
              });
            }),
            last: page.rows.at(-1)?.edge_id,
            more: page.more,
          };
        },
      ],
      [
        "sent",
        async (userId, at) => {
          const { rows } = await store.slice(
            requestsSentList,
            { user_id: userId },
            { limit: PAGE, ...gt("target_id", at) },
          );
          return {
            tasks: rows.map((row) => () => graph.unfollow(userId, row.target_id)),
            ...sliced(rows, (row) => row.target_id),
          };
        },
      ],
      [
        "blocks",
        async (userId, at) => {
          const { rows } = await store.slice(
            blockLists,
            { user_id: userId },
            { limit: PAGE, ...gt("other_id", at) },
          );
          return {
            tasks: rows.map(
              (row) => () =>
                row.direction === "blocks"
                  ? graph.unblock(userId, row.other_id)
                  : graph.unblock(row.other_id, userId),
            ),
            ...sliced(rows, (row) => row.other_id),
          };
        },
      ],
      [
        "close-friends",
        async (userId, at) => {
          const { rows } = await store.slice(
            closeFriends,
            { user_id: userId },
            { limit: PAGE, ...gt("friend_id", at) },
          );
          return {
            tasks: rows.map((row) => () => graph.closeFriends.remove(userId, row.friend_id)),
            ...sliced(rows, (row) => row.friend_id),
          };
        },
      ],
      [
        "close-friend-of",
        async (userId, at) => {
          const { rows } = await store.slice(
            closeFriendOf,
            { user_id: userId },
            { limit: PAGE, ...gt("owner_id", at) },
          );
          return {
            tasks: rows.map((row) => () => graph.closeFriends.remove(row.owner_id, userId)),
            ...sliced(rows, (row) => row.owner_id),
          };
        },
      ],
      [
        "mutes",
        async (userId, at) => {
          const { rows } = await store.slice(
            mutes,
            { user_id: userId },
            { limit: PAGE, ...gt("muted_id", at) },
          );
          return {
            tasks: rows.map((row) => () => graph.mutes.unmute(userId, row.muted_id)),
            ...sliced(rows, (row) => row.muted_id),
          };
        },
      ],
      [
        "muted-by",
        async (userId, at) => {
          const { rows } = await store.slice(
            mutedBy,
            { user_id: userId },
            { limit: PAGE, ...gt("muter_id", at) },
          );
          return {
            tasks: rows.map((row) => () => graph.mutes.unmute(row.muter_id, userId)),
            ...sliced(rows, (row) => row.muter_id),
          };
        },
      ],
    ];
  }

  /** One bounded call; done once nothing of the account is left in the graph. */
  async erase(userId: string, cursor?: string): Promise<{ done: boolean; cursor?: string }> {
    const [name, position] = (cursor ?? "").split(":");
    const index = Math.max(
      0,
      this.phases.findIndex(([phase]) => phase === name),
    );
    const [phase, read] = this.phases[index] as [string, Phase];
    const page = await read(userId, position === "" ? undefined : position);
    for (const task of page.tasks) await task();
    if (page.more) return { done: false, cursor: `${phase}:${page.last ?? position ?? ""}` };
    const next = this.phases[index + 1];
    if (next !== undefined) return { done: false, cursor: `${next[0]}:` };
    const { store } = this;
    await Promise.all([
      followingList.erase(store, userId),
      followersList.erase(store, userId),
      followRequestsList.erase(store, userId),
      store.deletePartition(requestsSentList, { user_id: userId }),
      store.deletePartition(blockLists, { user_id: userId }),
      store.deletePartition(closeFriends, { user_id: userId }),
      store.deletePartition(closeFriendOf, { user_id: userId }),
      store.deletePartition(mutes, { user_id: userId }),
      store.deletePartition(mutedBy, { user_id: userId }),
    ]);
    // Last: each operation above counted a change of the account's edges.
    await store.delete(graphChanges, { user_id: userId });
    return { done: true };
  }
}
