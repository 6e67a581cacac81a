import { defineTable } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { users } from "../accounts/tables";
import { inBatches } from "./indexer";
import type { IndexOp, SearchIndex } from "./search-index";
import type { SearchSources } from "./store-sources";

/**
 * The reindex under way into an index (SearchIndex.identity), if any: one row, so any search node writing that
 * index can resume it after a crash.
 */
export const searchReindexState = defineTable({
  name: "search_reindex_by_index",
  columns: {
    id: "text",
    generation: "text",
    page_token: "text",
    done: "int",
    started_at: "timestamp",
  },
  partitionKey: ["id"],
});

export const searchReindexTables = [searchReindexState] as const;

const USERS_PER_PAGE = 100;

export interface ReindexProgress {
  generation: string;
  phase: "users" | "done";
  /** Accounts done (with their posts and tags). */
  done: number;
  startedAt: string;
}

/**
 * Rebuilds the index from the store without downtime: a new generation is filled account by account (each with
 * its posts and their tags) while queries read the live one and the indexer writes every live change to both;
 * then the new generation is promoted in one step. Progress is stored after every page, so a reindex cut short
 * resumes where it stopped, on any search node. Documents are versioned by an id taken before they are read, so a
 * change made meanwhile (with its newer job) always wins over what the reindex read.
 */
export class SearchReindexer {
  constructor(
    private readonly deps: {
      store: WideRowStore;
      index: SearchIndex;
      sources: SearchSources;
      ids: { next(): Promise<string> };
      now?: () => number;
      progress?: (progress: ReindexProgress) => void;
    },
  ) {}

  /** The generation being filled, for the indexer's double writes. */
  async generation(): Promise<string | undefined> {
    return (await this.deps.store.get(searchReindexState, this.key()))?.generation;
  }

  async status(): Promise<ReindexProgress | undefined> {
    const row = await this.deps.store.get(searchReindexState, this.key());
    if (row?.generation === undefined) return undefined;
    return {
      generation: row.generation,
      phase: "users",
      done: row.done ?? 0,
      startedAt: (row.started_at ?? new Date(0)).toISOString(),
    };
  }

  /** Starts a reindex, or resumes the one under way (`restart`: abandons it and starts again); runs it to the end. */
  async run(options: { restart?: boolean } = {}): Promise<ReindexProgress> {
    const { store, index } = this.deps;
    const stateKey = this.key();
    let state = await store.get(searchReindexState, stateKey);
    const existing = new Set(await index.generations.list());
    if (state?.generation !== undefined && (options.restart === true || !existing.has(state.generation))) {
      if (existing.has(state.generation) && state.generation !== (await index.generations.live())) {
        await index.generations.drop(state.generation);
      }
      await store.delete(searchReindexState, stateKey);
      state = undefined;
    }
    if (state?.generation === undefined) {
      const generation = await index.generations.create();
      state = {
        id: stateKey.id,
        generation,
        done: 0,
        started_at: new Date((this.deps.now ?? Date.now)()),
      };
      await store.put(searchReindexState, state);
    }
    const generation = state.generation;
    if (generation === undefined) throw new Error("a reindex state without a generation");
    const startedAt = (state.started_at ?? new Date(0)).toISOString();
    let done = state.done ?? 0;
    // "" marks every page done (a reindex cut short between its last page and the swap).
    let pageToken = state.page_token;
    while (pageToken !== "") {
      const page = await store.scan(users, {
        limit: USERS_PER_PAGE,
        ...(pageToken !== undefined && { pageToken }),
      });
      await this.indexAccounts(
        page.rows.map((row) => row.user_id),
        generation,
      );
      done += page.rows.length;
      pageToken = page.nextPageToken ?? "";
      await store.put(searchReindexState, { ...stateKey, done, page_token: pageToken });
      this.deps.progress?.({ generation, phase: "users", done, startedAt });
    }
    await index.generations.promote(generation);
    await store.delete(searchReindexState, stateKey);
    const finished: ReindexProgress = { generation, phase: "done", done, startedAt };
    this.deps.progress?.(finished);
    return finished;
  }

  /** The state row of this index's reindex. */
  private key(): { id: string } {
    return { id: this.deps.index.identity() };
  }

  private async indexAccounts(userIds: readonly string[], generation: string): Promise<void> {
    const { sources } = this.deps;
    // Taken before anything is read: a change made after the read carries a newer job, which wins.
    const version = await this.deps.ids.next();
    const ops: IndexOp[] = [];
    const tags = new Set<string>();
    await inBatches(userIds, 16, async (userId) => {
      const user = await sources.user(userId);
      if (user === undefined) return;
      ops.push({ type: "user", op: "put", doc: user, version });
      for await (const postIds of sources.postIdsOf(userId)) {
        await inBatches(postIds, 64, async (postId) => {
          const post = await sources.post(postId);
          if (post === undefined) return;
          ops.push({ type: "post", op: "put", doc: post, version });
          for (const tag of post.hashtags) tags.add(tag);
        });
      }
    });
    await inBatches([...tags], 64, async (tag) => {
      const doc = await sources.tag(tag);
      if (doc) ops.push({ type: "tag", op: "put", doc, version });
    });
    for (let i = 0; i < ops.length; i += 500) await this.deps.index.apply(ops.slice(i, i + 500), generation);
  }
}
