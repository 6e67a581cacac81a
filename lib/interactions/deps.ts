import type { Accounts } from "../accounts";
import type { Graph } from "../graph";
import type { Messenger, Notifier } from "../contracts/ports";
import type { Posts } from "../posts/posts";
import type { WideRowStore } from "../store/store";
import type { WriteJournal } from "../journal/write-journal";

/**
 * Hears of likes and comments as they happen (discovery's explore ranks posts by them). Called after the like or
 * comment is stored and only by the request that made it new, never by a crash's completion; a failure there is
 * dropped, never failing the like.
 */
export interface EngagementSignals {
  liked(event: { postId: string; authorId: string; actorId: string; at: number }): Promise<void>;
  /** A like undone: `likedAt` is when the like was made, which is where it was counted. */
  unliked(event: { postId: string; authorId: string; actorId: string; likedAt: number }): Promise<void>;
  commented(event: { postId: string; authorId: string; actorId: string; at: number }): Promise<void>;
}

export interface InteractionsDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  now: () => number;
  /** Decides who may see a post (404 otherwise) and whose it is. */
  posts: Posts;
  accounts: Accounts;
  graph: Graph;
  notifier: Notifier;
  messenger: Messenger;
  /** Records writes that span partitions, so that one cut short is completed. */
  journal: WriteJournal;
  /** A post's like or comment count changed here: counts this node keeps of it are stale. */
  countsChanged?: (postId: string) => void;
  /** Where new likes and comments are signalled (explore). */
  signals?: EngagementSignals;
  /** Where a reader's likes and comments of an author are counted, for the ranked feed's affinity. */
  affinity?: {
    bump(userId: string, authorId: string, kind: "likes" | "comments"): Promise<void>;
    /** Removes a page of what names the user in affinities (an erasure); true once none is left. */
    erase(userId: string): Promise<boolean>;
    /** Lists each author's readers for counts made before that list (a repair); answers the rows written. */
    backfillReaders(): Promise<number>;
  };
  /** Where each new like, comment, save and share is counted by the hour, for the author's insights. */
  activity?: { record(postId: string, kind: "likes" | "comments" | "saves" | "shares"): Promise<void> };
}
