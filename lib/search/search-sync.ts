import { spelledHashtags } from "../posts/caption";
import type { ProfileChanges } from "../accounts/accounts";
import type { ListedPost, PostListing } from "../posts/posts";
import type { WriteJournal } from "../journal/write-journal";
import { defineTable } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { LruMap } from "../concurrency/lru-map";
import type { SearchJobType, SearchOutbox } from "./outbox";

/**
 * How a tag was last spelled with capitals (`SummerVibes` for `summervibes`): the indexer splits it into the words
 * a search for one of them finds. A tag only ever spelled in lower case has no row.
 */
export const tagSpellings = defineTable({
  name: "tag_spellings",
  columns: { tag: "text", spelling: "text" },
  partitionKey: ["tag"],
});

export const searchSyncTables = [tagSpellings] as const;

type Jobs = { type: SearchJobType; docId: string }[];

/**
 * Makes changes searchable: every change records its index jobs after its own writes and before it is
 * acknowledged, inside a journalled operation, so that a crash between the change and its jobs still records them
 * (the journal's completer does). Posts are listed from inside their own journalled operation.
 */
/** How often one user's follower count is refreshed in the index, at most, per node. */
const COUNTS_EVERY_MS = 60_000;
const COUNTS_REMEMBERED = 10_000;

export class SearchSync implements PostListing, ProfileChanges {
  private readonly countsRecorded = new LruMap<string, number>(COUNTS_REMEMBERED);

  constructor(
    private readonly deps: {
      store: WideRowStore;
      journal: WriteJournal;
      outbox: SearchOutbox;
      now?: () => number;
    },
  ) {
    deps.journal.register("searchJobs", (op) => deps.outbox.record(op.jobs));
  }

  /**
   * The follower counts of two users changed: their documents are refreshed, at most once a minute each per node,
   * as ranking needs them close, not exact. Best effort: a job lost here is made good by the next one.
   */
  followersChanged(a: string, b: string): void {
    const now = (this.deps.now ?? Date.now)();
    const due = [a, b].filter((userId) => (this.countsRecorded.get(userId) ?? 0) <= now - COUNTS_EVERY_MS);
    if (due.length === 0) return;
    for (const userId of due) this.countsRecorded.set(userId, now);
    void this.deps.outbox
      .record(due.map((userId) => ({ type: "user" as const, docId: userId })))
      .catch(() => undefined);
  }

  /** Runs `change`, then records jobs for what it changed. */
  async around<T>(jobs: Jobs, change: () => Promise<T>): Promise<T> {
    return this.deps.journal.run("searchJobs", { jobs }, async () => {
      const result = await change();
      await this.deps.outbox.record(jobs);
      return result;
    });
  }

  /** An account was created or its profile changed; `privacy` when its posts' visibility changed too. */
  profileChanged<T>(userId: string, privacy: boolean, change: () => Promise<T>): Promise<T> {
    const jobs: Jobs = [{ type: "user", docId: userId }];
    if (privacy) jobs.push({ type: "authorPosts", docId: userId });
    return this.around(jobs, change);
  }

  async listed(post: ListedPost): Promise<void> {
    const spelled = post.caption === undefined ? [] : spelledHashtags(post.caption);
    await Promise.all(
      spelled
        .filter((spelling) => spelling !== spelling.toLowerCase())
        .map((spelling) => this.deps.store.put(tagSpellings, { tag: spelling.toLowerCase(), spelling })),
    );
    await this.deps.outbox.record(this.postJobs(post));
  }

  async unlisted(post: ListedPost): Promise<void> {
    await this.deps.outbox.record(this.postJobs(post));
  }

  private postJobs(post: ListedPost): Jobs {
    return [
      { type: "post", docId: post.postId },
      ...post.hashtags.map((tag) => ({ type: "tag" as const, docId: tag })),
    ];
  }
}
