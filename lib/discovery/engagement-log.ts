import type { EngagementSignals } from "../interactions/deps";
import type { WideRowStore } from "../store/store";
import { ACTIVITY_SHARDS, engagementEvents, hourOf, shardOf } from "./tables";

/** Rows read from one shard of one hour per round: a round's work is bounded whatever the traffic. */
const ROWS_PER_SHARD_HOUR = 20_000;
const SLICE = 1_000;

export type EngagementKind = "like" | "comment";

export interface EngagementEvent {
  postId: string;
  authorId: string;
  kind: EngagementKind;
  /** The hour's first millisecond. */
  hour: number;
}

/**
 * Likes and comments as explore's signals: one row per post, person, kind and hour, written with one put on the
 * like's or comment's path (as cheap as a counter increment, and idempotent where a counter is not): liking,
 * unliking and liking again within the hour, or commenting a hundred times, is one row, so one account cannot
 * push a post up. An unlike removes the row of its like's hour, so a like taken back stops counting. Comments
 * deleted later still count: a comment was engagement when it was made, and explore forgets it within a day.
 * The author's own likes and comments never count.
 */
export class EngagementLog implements EngagementSignals {
  constructor(private readonly store: WideRowStore) {}

  async liked(event: { postId: string; authorId: string; actorId: string; at: number }): Promise<void> {
    await this.record(event, "like");
  }

  async unliked(event: {
    postId: string;
    authorId: string;
    actorId: string;
    likedAt: number;
  }): Promise<void> {
    if (event.actorId === event.authorId) return;
    await this.store.delete(engagementEvents, {
      hour: hourOf(event.likedAt),
      shard: shardOf(event.postId),
      post_id: event.postId,
      actor_id: event.actorId,
      kind: "like",
    });
  }

  async commented(event: { postId: string; authorId: string; actorId: string; at: number }): Promise<void> {
    await this.record(event, "comment");
  }

  /** The events of one hour, shard by shard (at most ROWS_PER_SHARD_HOUR rows of each). */
  async *hour(hour: number): AsyncGenerator<EngagementEvent[]> {
    for (let shard = 0; shard < ACTIVITY_SHARDS; shard++) {
      let pageToken: string | undefined;
      let read = 0;
      do {
        const slice = await this.store.slice(
          engagementEvents,
          { hour, shard },
          {
            limit: Math.min(SLICE, ROWS_PER_SHARD_HOUR - read),
            ...(pageToken !== undefined && { pageToken }),
          },
        );
        read += slice.rows.length;
        yield slice.rows.flatMap((row) =>
          row.author_id === undefined || (row.kind !== "like" && row.kind !== "comment")
            ? []
            : [{ postId: row.post_id, authorId: row.author_id, kind: row.kind, hour }],
        );
        pageToken = slice.nextPageToken;
      } while (pageToken !== undefined && read < ROWS_PER_SHARD_HOUR);
    }
  }

  private async record(
    event: { postId: string; authorId: string; actorId: string; at: number },
    kind: EngagementKind,
  ): Promise<void> {
    if (event.actorId === event.authorId) return;
    await this.store.put(engagementEvents, {
      hour: hourOf(event.at),
      shard: shardOf(event.postId),
      post_id: event.postId,
      actor_id: event.actorId,
      kind,
      author_id: event.authorId,
    });
  }
}
